"""Delivery to a real SMTP server: headers and parts, retries, failures, resume, sharing."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from db.digest_models import Delivery, Subscriber
from db.engine import Database
from digest.delivery import delivery_counts, send_issue
from digest.issues import ensure_issue
from digest.pipeline import DigestDeps, compile_messages, send_week
from tests.digest.conftest import (
    PUBLIC_URL,
    WEEK,
    add_subscribers,
    add_week_news,
    seed_week,
    smtp_sender,
)
from tests.digest.smtp_sink import SmtpSink


async def test_each_subscriber_gets_one_well_formed_email(deps: DigestDeps, sink: SmtpSink) -> None:
    """multipart/alternative text then HTML, RFC 8058 headers, personal links, escaping."""
    await seed_week(deps.database)
    emails = await add_subscribers(deps.database, 5)
    await add_subscribers_with(deps.database, "pending@example.com", "pending")
    issue, summary = await send_week(deps, WEEK)
    assert summary.sent == 5 and summary.failed == 0
    assert sink.recipients() == {e: 1 for e in emails}
    message = sink.messages[0].parsed()
    recipient = sink.messages[0].recipients[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == deps.settings.mail.mail_from
    assert message["To"] == recipient
    assert message["Message-ID"] and message["Date"]
    # The lead story in plain words: no week code, no brand (the From name carries it).
    assert message["Subject"] == issue.subject == "Open WebUI wins a Ship from the panel"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    uris = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert [u for u in uris if u.startswith("https://")] == [uris[0]]
    assert uris[0].startswith(f"{PUBLIC_URL}/unsubscribe/")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert f'href="{uris[0]}"' in html and uris[0] in text
    assert f"Sent to {recipient}" in html
    assert "<script>" not in html and "Evil &lt;script&gt;" in html
    assert len(html.encode()) < 100_000
    counts = await delivery_counts(deps.database, issue.id)
    assert counts == {"sent": 5}


async def add_subscribers_with(database: Database, email: str, status: str) -> None:
    async with database.write() as session:
        session.add(Subscriber(email=email, status=status, source="test"))


async def test_sending_again_sends_nothing(deps: DigestDeps, sink: SmtpSink) -> None:
    """A second run of the same week finds nothing waiting."""
    await add_subscribers(deps.database, 3)
    await send_week(deps, WEEK)
    _, again = await send_week(deps, WEEK)
    assert again.sent == 0 and len(sink.messages) == 3


async def test_a_4xx_is_retried_until_it_succeeds(deps: DigestDeps, sink: SmtpSink) -> None:
    """Two temporary failures, then 250: one email arrives and the row is sent."""
    emails = await add_subscribers(deps.database, 2)
    sink.script.answers[emails[0]] = ["451 try later", "452 busy", None]
    _, summary = await send_week(deps, WEEK)
    assert summary.sent == 2
    assert sink.recipients() == {emails[0]: 1, emails[1]: 1}
    assert [code for _, code in sink.refused] == ["451 try later", "452 busy"]


async def test_a_5xx_fails_that_address_and_repeated_ones_suspend_it(
    deps: DigestDeps, sink: SmtpSink, demo_database: Database
) -> None:
    """A permanent failure is recorded; the third in a row suspends the subscriber."""
    emails = await add_subscribers(deps.database, 2)
    sink.script.answers[emails[0]] = ["550 no such user"]
    from digest.weeks import parse_week

    for week in ("2026-W19", "2026-W20", "2026-W21", "2026-W22"):
        await add_week_news(deps.database, parse_week(week))  # a quiet week is not mailed
    for week in ("2026-W19", "2026-W20", "2026-W21"):
        _, summary = await send_week(deps, parse_week(week))
        assert summary.failed == 1 and summary.sent == 1
    async with deps.database.read() as session:
        status = await session.scalar(
            select(Subscriber.status).where(Subscriber.email == emails[0])
        )
        failed = await session.scalar(
            select(Delivery.last_error).where(Delivery.status == "failed").limit(1)
        )
    assert status == "suspended" and failed and failed.startswith("550")
    _, fourth = await send_week(deps, parse_week("2026-W22"))
    assert fourth.sent == 1 and fourth.failed == 0  # suspended: not even tried


async def test_a_dropped_connection_is_retried_on_a_fresh_one(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    """The server hangs up mid-message once; the message goes out on a new connection."""
    emails = await add_subscribers(deps.database, 3)
    sink.script.answers[emails[1]] = ["drop", None]
    _, summary = await send_week(deps, WEEK)
    assert summary.sent == 3
    assert sink.dropped == 1
    assert sink.recipients() == {e: 1 for e in emails}
    assert sink.connections >= 2


async def test_a_forgotten_subscriber_keeps_anonymous_counts(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    from digest.subscribers import forget

    emails = await add_subscribers(deps.database, 2)
    issue, _ = await send_week(deps, WEEK)
    assert await forget(deps.database, emails[0].upper())
    assert await delivery_counts(deps.database, issue.id) == {"sent": 2}
    async with deps.database.read() as session:
        rows = (await session.execute(select(Delivery.subscriber_id))).scalars().all()
        assert sorted(rows, key=lambda v: v or 0)[0] is None
        assert await session.scalar(select(Subscriber).where(Subscriber.email == emails[0])) is None


async def test_concurrent_senders_share_the_work_without_duplicates(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    """Three senders on one issue: everyone gets exactly one copy, and the work is shared."""
    emails = await add_subscribers(deps.database, 150)
    issue, _ = await ensure_issue(deps.database, WEEK)
    messages = compile_messages(deps, issue)
    senders = [smtp_sender(sink, concurrency=2) for _ in range(3)]
    summaries = await asyncio.gather(
        *(
            send_issue(deps.database, issue.id, s, messages, deps.unsubscribe_url, batch=5)
            for s in senders
        )
    )
    for sender in senders:
        await sender.close()
    assert sink.recipients() == {e: 1 for e in emails}
    assert sum(s.sent for s in summaries) == 150
    if not deps.database.is_sqlite:
        # With row locks skipped rather than waited on, every sender gets a share.
        assert all(s.sent > 0 for s in summaries), [s.sent for s in summaries]


@pytest.fixture
def outbox_deps(demo_database: Database, tmp_path: object) -> DigestDeps:
    from pathlib import Path

    from tests.digest.conftest import make_settings

    folder = Path(str(tmp_path)) / "outbox"
    return DigestDeps.from_settings(
        demo_database, make_settings(demo_database.url, smtp_url=None, outbox=folder)
    )


async def test_without_smtp_emails_land_in_the_outbox(outbox_deps: DigestDeps) -> None:
    """SMTP_URL unset: one .eml per subscriber in OUTBOX_DIR, marked sent."""
    emails = await add_subscribers(outbox_deps.database, 3)
    _, summary = await send_week(outbox_deps, WEEK)
    files = sorted(outbox_deps.settings.mail.outbox_dir.glob("*.eml"))
    assert summary.sent == 3 and len(files) == 3
    assert all(any(e in f.name for f in files) for e in emails)
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in files[0].read_bytes()
