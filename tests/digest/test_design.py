"""The email's design: both palettes pass WCAG AA, dark mode, headings, no remote fonts,
rounded cards, strict MJML, and screenshots at 1200 and 375 px in light and dark.

Set DIGEST_SCREENSHOTS=<folder> to keep the PNGs for a look.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from db.engine import Database
from digest.palette import DARK, LIGHT, PAIRS, contrast
from digest.render import RenderError, compile_mjml, render_confirmation_html, render_issue
from digest.snapshot import Snapshot, build_snapshot
from tests.digest.chromium import screenshot, text_contrast
from tests.digest.conftest import PUBLIC_URL, WEEK, seed_week

AA = 4.5


@pytest.fixture
async def full_week(demo_database: Database) -> Snapshot:
    await seed_week(demo_database)
    return await build_snapshot(demo_database, WEEK)


def _reader_copy(snapshot: Snapshot) -> str:
    rendered = render_issue(snapshot, PUBLIC_URL, "1 Test Street, Testville")
    marks = rendered.placeholders
    return rendered.html.replace(marks.unsubscribe, f"{PUBLIC_URL}/unsubscribe/x").replace(
        marks.email, "reader@example.com"
    )


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_every_palette_pair_meets_aa(palette: dict[str, str]) -> None:
    """Each text colour has at least 4.5:1 on each background it is drawn on."""
    weak = [(t, b, round(contrast(palette[t], palette[b]), 2)) for t, b in PAIRS]
    assert [w for w in weak if w[2] < AA] == []


async def test_the_email_uses_no_colour_outside_the_palettes(full_week: Snapshot) -> None:
    """Every colour in the compiled HTML comes from a checked palette (none slips past the test)."""
    html = _reader_copy(full_week)
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", html)}
    assert used, "no colours found"
    assert used <= set(LIGHT.values()) | set(DARK.values()), used - set(LIGHT.values())


async def test_dark_mode_is_declared_and_styled(full_week: Snapshot) -> None:
    """color-scheme metas, and a prefers-color-scheme block that repaints page, cards and masthead."""
    html = _reader_copy(full_week)
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    block = html[html.index("@media (prefers-color-scheme: dark)") :]
    for role in ("page", "card", "text", "muted", "link", "mast"):
        assert DARK[role] in block, role
    # The masthead has a border of its own, so it stays outlined when a client inverts colours.
    assert f"border:2px solid {LIGHT['mast_line']}" in html


async def test_headings_are_real_and_fonts_are_local(full_week: Snapshot) -> None:
    """One h1 (the lead story), h2 section titles, h3 items; no web font requests."""
    html = _reader_copy(full_week)
    assert html.count("<h1") == 1
    assert html.count("<h2") == 5
    assert "<h3" in html
    assert "fonts.googleapis" not in html and "@import" not in html
    assert "<link" not in html


async def test_bordered_cards_keep_rounded_corners(full_week: Snapshot) -> None:
    """The rule npm mjml emits (border-collapse: separate) is there for the rounded cards."""
    html = _reader_copy(full_week)
    assert ".sos-card > table { border-collapse: separate !important; }" in html
    assert (
        "border-radius:10px" in html
        and 'class="mj-column-per-100 mj-outlook-group-fix sos-card"' in html
    )


def test_invalid_mjml_fails_loudly() -> None:
    """An unknown attribute or tag stops the render instead of shipping a broken email."""
    good = "<mjml><mj-body><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>"
    assert "x" in compile_mjml(good)
    with pytest.raises(RenderError, match="border-radus"):
        compile_mjml(good.replace("<mj-column>", '<mj-column border-radus="4px">'))
    with pytest.raises(RenderError, match="mj-colum"):
        compile_mjml(good.replace("mj-column", "mj-colum"))


def test_the_confirmation_email_shares_the_design() -> None:
    """Same masthead, dark mode and footer; the link is escaped into the button."""
    html = render_confirmation_html(f"{PUBLIC_URL}/confirm/a.b?x=1&y=2", PUBLIC_URL, "1 Test St")
    assert 'name="color-scheme"' in html and "sos-mast" in html
    assert "<h1" in html and "Confirm your subscription" in html
    assert f'href="{PUBLIC_URL}/confirm/a.b?x=1&amp;y=2"' in html
    assert "1 Test St" in html


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
async def test_every_text_meets_aa_in_chromium(
    full_week: Snapshot, tmp_path: Path, dark: bool
) -> None:
    """As Chromium paints it, every visible text has at least 4.5:1 on its background."""
    found = text_contrast(_reader_copy(full_week), tmp_path, dark=dark)
    assert len(found) > 50
    weak = [row for row in found if row[3] < AA]
    assert weak == []
    # The dark palette really applies: the lead headline is light text.
    (headline,) = [row for row in found if row[0] == full_week.top_story[:40]]
    assert headline[1] == ("248,250,252" if dark else "15,23,42")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_confirmation_email_meets_aa_in_chromium(tmp_path: Path, dark: bool) -> None:
    html = render_confirmation_html(f"{PUBLIC_URL}/confirm/t", PUBLIC_URL, "1 Test Street")
    found = text_contrast(html, tmp_path, dark=dark)
    assert len(found) >= 6 and [row for row in found if row[3] < AA] == []
    (button,) = [row for row in found if row[0] == "Confirm my subscription"]
    assert button[1] == "255,255,255"


async def test_screenshots_in_light_and_dark(full_week: Snapshot, tmp_path: Path) -> None:
    """1200 and 375 px, light and dark (and forced dark): different, non-blank images."""
    folder = Path(os.environ.get("DIGEST_SCREENSHOTS") or tmp_path)
    os.makedirs(folder, exist_ok=True)
    page = tmp_path / "digest.html"
    page.write_text(_reader_copy(full_week), encoding="utf-8")
    shots = []
    for width in (1200, 375):
        for dark in (False, True):
            name = f"digest-{width}-{'dark' if dark else 'light'}.png"
            shot = screenshot(page, folder / name, width, dark=dark)
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert shot.stat().st_size > 20_000  # a blank page compresses to far less
            shots.append(shot.read_bytes())
    # A client that inverts the page on its own (forced dark): the masthead keeps its box.
    forced = screenshot(page, folder / "digest-1200-forced-dark.png", 1200, forced_dark=True)
    shots.append(forced.read_bytes())
    assert len(set(shots)) == 5
