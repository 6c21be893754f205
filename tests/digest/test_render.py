"""Rendering: escaping, every section, an empty week, size, and how it looks in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.engine import Database
from digest.message import EMAIL_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, DigestMessages
from digest.render import MAX_HTML_BYTES, render_html, render_issue
from digest.snapshot import Snapshot, build_snapshot
from digest.snapshot_model import DigestSnapshot
from digest.weeks import parse_week
from tests.digest.chromium import page_width, screenshot
from tests.digest.conftest import EVIL_NAME, PUBLIC_URL, WEEK, seed_week

SECTION_HEADINGS = (
    "NEW VERDICTS",
    "MOST REQUESTED COMPARISONS",
    "COMMUNITY PICKS",
    "MOVERS",
    "ASKED ABOUT, NOT YET REVIEWED",
)


@pytest.fixture
async def full_week(demo_database: Database) -> Snapshot:
    await seed_week(demo_database)
    return await build_snapshot(demo_database, WEEK)


async def test_user_text_is_escaped_in_the_html(full_week: Snapshot) -> None:
    """A tool name with <script> and & shows as text, never as markup."""
    html = render_issue(full_week, PUBLIC_URL).html
    assert "<script>" not in html.lower()
    # MJML re-serialises text, so quotes come back bare: harmless outside attributes.
    assert 'Evil &lt;script&gt;alert("x")&lt;/script&gt; &amp; Co' in html
    assert "Sora &lt;2&gt; &amp; friends" in html
    # A hostile catalog URL stays inside its attribute.
    assert "href='https://evil.example/?a=1&amp;b=\"&gt;&lt;script&gt;" in html


async def test_every_section_is_in_both_parts(full_week: Snapshot) -> None:
    """HTML and text carry the same sections, brand header and archive link."""
    rendered = render_issue(full_week, PUBLIC_URL)
    for heading in SECTION_HEADINGS:
        # Real headings in the HTML (capitals come from CSS), capitals in the text part.
        assert f">{heading.capitalize()}</h2>" in rendered.html, heading
        assert heading in rendered.text, heading
    assert "Ship or Skip" in rendered.html and "Weekly AI Tool Verdicts" in rendered.html
    assert f"{PUBLIC_URL}/digests/{WEEK.label}" in rendered.html
    assert f"{PUBLIC_URL}/digests/{WEEK.label}" in rendered.text
    assert EVIL_NAME in rendered.text
    assert UNSUBSCRIBE_PLACEHOLDER in rendered.html and UNSUBSCRIBE_PLACEHOLDER in rendered.text
    assert len(rendered.html.encode()) < MAX_HTML_BYTES


async def test_an_empty_week_says_so_without_empty_sections(demo_database: Database) -> None:
    """A quiet week gets a short note and no section headings."""
    rendered = render_issue(await build_snapshot(demo_database, parse_week("2026-W02")), PUBLIC_URL)
    assert "A quiet week" in rendered.html and "A quiet week" in rendered.text
    for heading in SECTION_HEADINGS:
        assert heading not in rendered.html and heading not in rendered.text


async def test_the_archive_copy_has_no_personal_parts(full_week: Snapshot) -> None:
    """The web archive shows the issue without unsubscribe link or address."""
    html = render_html(full_week, PUBLIC_URL, personal=False)
    assert UNSUBSCRIBE_PLACEHOLDER not in html and EMAIL_PLACEHOLDER not in html
    assert ">New verdicts</h2>" in html


async def test_per_recipient_values_are_encoded(full_week: Snapshot) -> None:
    """Recipient parts go into the compiled HTML escaped; the rest is untouched."""
    rendered = render_issue(full_week, PUBLIC_URL)
    messages = DigestMessages(
        html_body=rendered.html,
        text_body=rendered.text,
        subject="s",
        mail_from="a@b.example",
        placeholders=rendered.placeholders,
    )
    data = messages.build("o'neil&co@example.com", "https://sos.example/unsubscribe/a.b?x=1&y=2")
    body = data.data.decode("ascii")
    assert "o&#x27;neil&amp;co@example.com" in body
    assert 'href="https://sos.example/unsubscribe/a.b?x=1&amp;y=2"' in body


async def test_chromium_renders_it_and_nothing_overflows_a_phone(
    full_week: Snapshot, tmp_path: Path
) -> None:
    """Screenshots at desktop and 375 px exist, and at 375 px the page is no wider than the screen."""
    rendered = render_issue(full_week, PUBLIC_URL)
    marks = rendered.placeholders
    html = rendered.html.replace(marks.unsubscribe, f"{PUBLIC_URL}/unsubscribe/x").replace(
        marks.email, "reader@example.com"
    )
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")
    for width in (1200, 375):
        shot = screenshot(page, tmp_path / f"digest-{width}.png", width)
        assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 20_000  # a blank page compresses to far less
    scroll, viewport = page_width(html, tmp_path, 375)
    assert viewport == 375
    assert scroll <= viewport, f"page is {scroll}px wide on a 375px screen"


def test_links_are_absolute_https() -> None:
    """Every link in a rendered email points at an absolute http(s) URL."""
    snapshot = DigestSnapshot.from_json({
        "version": 1, "week": "2026-W21", "title": "Week 21", "built_at": "", "empty": True,
        "top_story": "a quiet week", "new_verdicts": [], "new_verdicts_more": 0,
        "comparisons": [], "most_shipped": [], "most_skipped": [], "movers": [],
        "verdict_changes": [], "asked_about": [],
    })  # fmt: skip
    rendered = render_issue(snapshot, PUBLIC_URL)
    hrefs = re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs
    unsubscribe = rendered.placeholders.unsubscribe
    assert all(h.startswith("https://") or h == unsubscribe for h in hrefs), hrefs
