"""The attack: a tool name typed in chat that turns into someone's address, a Subject
line, or a link in every subscriber's inbox."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import timedelta
from email.message import Message
from typing import Any

from sqlalchemy import update

from db.engine import Database
from db.models import CompareRequest
from db.queries.requests import record_compare
from db.queries.votes import Voter
from digest.message import EMAIL_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, DigestMessages
from digest.render import render_issue
from digest.snapshot import build_snapshot, subject_of
from digest.snapshot_model import DigestSnapshot
from digest.weeks import parse_week

PUBLIC_URL = "https://sos.example"
WEEK = parse_week("2026-W21")
READER = "reader@example.com"


def _quiet(**overrides: Any) -> Any:
    snapshot = {
        "version": 1, "week": WEEK.label, "title": "Week 21", "built_at": "", "empty": False,
        "top_story": "x", "new_verdicts": [], "new_verdicts_more": 0,
        "comparisons": [], "most_shipped": [], "most_skipped": [], "movers": [],
        "verdict_changes": [], "asked_about": [],
    }  # fmt: skip
    snapshot.update(overrides)
    return DigestSnapshot.from_json(snapshot)


def _parts(raw: bytes) -> dict[str, str]:
    parsed = email.message_from_bytes(raw)
    parts: dict[str, str] = {}
    for part in parsed.walk():
        if isinstance(part, Message) and not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode()
    return parts


def test_a_name_equal_to_the_placeholder_is_not_replaced_by_the_address() -> None:
    asked = [
        {"name": EMAIL_PLACEHOLDER, "requests": 3, "people": 3},
        {"name": UNSUBSCRIBE_PLACEHOLDER, "requests": 3, "people": 3},
    ]
    rendered = render_issue(_quiet(asked_about=asked), PUBLIC_URL)
    messages = DigestMessages(
        html_body=rendered.html,
        text_body=rendered.text,
        subject=rendered.subject,
        mail_from="digest@sos.example",
        placeholders=rendered.placeholders,
    )
    parts = _parts(messages.build(READER, f"{PUBLIC_URL}/unsubscribe/t").data)
    for body in parts.values():
        assert EMAIL_PLACEHOLDER in body and UNSUBSCRIBE_PLACEHOLDER in body
        assert rendered.placeholders.email not in body
    # The address still lands where the template puts it, and nowhere else.
    html_count = parts["text/html"].count(READER)
    again = render_issue(_quiet(), PUBLIC_URL)
    plain = DigestMessages(
        html_body=again.html,
        text_body=again.text,
        subject=again.subject,
        mail_from="digest@sos.example",
        placeholders=again.placeholders,
    )
    assert html_count == _parts(plain.build(READER, "https://x/u").data)["text/html"].count(READER)


def test_placeholders_differ_per_issue() -> None:
    first, second = render_issue(_quiet(), PUBLIC_URL), render_issue(_quiet(), PUBLIC_URL)
    assert first.placeholders != second.placeholders


def test_asked_about_names_never_reach_the_subject() -> None:
    snapshot = _quiet(asked_about=[{"name": "Buy My Coin", "requests": 9, "people": 5}])
    from digest.snapshot import top_story

    snapshot = replace(snapshot, top_story=top_story(snapshot))
    assert "Coin" not in subject_of(snapshot)
    assert "1 tool you asked about" in subject_of(snapshot)


async def test_link_shaped_names_are_not_shown(demo_database: Database) -> None:
    """Typed by several people, still never published: it would be auto-linked."""
    linky = [
        "evil.example.com",
        "http://phish.io/login",
        "www.bad",
        "pay me at a@b.co",
        "10.0.0.1",
        "Visit Shop.Example.NET now",
    ]
    async with demo_database.write() as session:
        for user in ("a", "b", "c"):
            who = Voter("slack", "t", user)
            for name in [*linky, "Sora 3"]:
                await record_compare(session, who, (name, None), ("Claude 4 Sonnet", 1))
        await session.execute(
            update(CompareRequest).values(created_at=WEEK.start + timedelta(days=1))
        )
    snapshot = await build_snapshot(demo_database, WEEK)
    assert [a.name for a in snapshot.asked_about] == ["Sora 3"]
    rendered = render_issue(snapshot, PUBLIC_URL)
    for name in linky:
        assert name not in rendered.text and name not in rendered.html
        assert name not in rendered.subject
