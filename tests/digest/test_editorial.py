"""The lead story, subject and preheader, plurals and numbers, and the footer's links."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from digest import editorial
from digest.links import compare_path
from digest.render import render_issue
from digest.snapshot_model import (
    Comparison,
    DigestSnapshot,
    Mover,
    Pick,
    ToolEntry,
    VerdictChange,
)
from digest.wording import number, plural
from tests.digest.conftest import POSTAL_ADDRESS, PUBLIC_URL

WEEK = "2026-W49"


def _week(**sections: Any) -> DigestSnapshot:
    base = DigestSnapshot(
        version=1, week=WEEK, title="Week 49, 30 Nov–6 Dec 2026", built_at="",
        new_verdicts=(), new_verdicts_more=0, comparisons=(), most_shipped=(),
        most_skipped=(), movers=(), verdict_changes=(), asked_about=(), empty=False,
        top_story="",
    )  # fmt: skip
    snapshot = replace(base, **sections)
    return replace(snapshot, top_story=editorial.headline(snapshot))


def _review(name: str, ship: int, skip: int, *, avg: float = 65.0) -> ToolEntry:
    verdict = "split" if ship == skip else ("ship" if ship > skip else "skip")
    return ToolEntry(
        slug=name.lower().replace(" ", "-"), name=name, category="Agents", best_for="",
        url="https://vendor.example", verdict=verdict, verdict_label=verdict.title(),
        ship=ship, skip=skip, ship_pct=round(100 * ship / (ship + skip)), score_min=60,
        score_max=72, score_avg=avg, community="No community votes yet", community_pct=None,
    )  # fmt: skip


FLIP = VerdictChange("Replit Agent", "replit-agent", "Ship", "Skip")
SPLIT = _review("Devin", 2, 2)


def test_a_verdict_flip_leads_over_a_newer_review() -> None:
    """The flip is the week's news, whatever the review dates say."""
    week = _week(new_verdicts=(SPLIT, _review("Cursor", 4, 0)), verdict_changes=(FLIP,))
    assert week.subject == "Replit Agent loses its Ship"
    assert editorial.preheader(week).startswith("Also: New review: Devin splits the panel 2–2")


def test_a_big_mover_beats_a_split_review_and_a_small_one_does_not() -> None:
    big = Mover("Cursor", "cursor", 80, 45, -35, 40)
    small = replace(big, after_pct=72, delta=-8)
    assert (
        _week(new_verdicts=(SPLIT,), movers=(big,)).subject == "Cursor falls 35 points with voters"
    )
    assert _week(new_verdicts=(SPLIT,), movers=(small,)).subject == "Devin splits the panel 2–2"


def test_the_subject_is_short_plain_and_never_repeated_by_the_preheader() -> None:
    """≤ 60 characters even for a long name; no week code, no brand; preheader differs."""
    long_name = "An Extraordinarily Long Tool Name For Coding Agents Pro Max Ultra"
    weeks = [
        _week(verdict_changes=(replace(FLIP, name=long_name),)),
        _week(movers=(Mover(long_name, "x", 10, 60, 50, 9),)),
        _week(comparisons=(Comparison(long_name, long_name, "a", "b", 4, "", "", "", 4),)),
        _week(new_verdicts=(_review(long_name, 3, 1),), verdict_changes=(FLIP,)),
    ]
    for week in weeks:
        subject = week.subject
        assert 0 < len(subject) <= 60, subject
        assert WEEK not in subject and "W49" not in subject and "Ship or Skip" not in subject
        assert editorial.preheader(week) != subject
        assert subject not in editorial.preheader(week)


def test_braces_in_a_name_are_just_text() -> None:
    week = _week(verdict_changes=(replace(FLIP, name="{0} Tool {}"),))
    assert week.subject == "{0} Tool {} loses its Ship"


def test_a_single_story_gets_a_preheader_of_its_own() -> None:
    week = _week(verdict_changes=(FLIP,))
    assert editorial.preheader(week) == (
        "Week 49, 30 Nov–6 Dec 2026: the panel's verdicts and the community's votes"
    )


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(1, "review", "1 review"), (2, "review", "2 reviews"), (0, "vote", "0 votes"),
     (1, "more verdict", "1 more verdict"), (1, "community vote", "1 community vote"),
     (3, "more story", "3 more stories")],
)  # fmt: skip
def test_plurals(count: int, word: str, expected: str) -> None:
    many = "more stories" if word == "more story" else None
    assert plural(count, word, many) == expected


def test_numbers_have_one_format() -> None:
    """As the comparison card writes them: 79, 78.7, never 65.0."""
    assert [number(65.0), number(78.74), number(80), number(None)] == ["65", "78.7", "80", ""]


def test_the_email_says_1_more_verdict_and_1_vote() -> None:
    """Singular where the count is one, in HTML and text."""
    week = _week(
        new_verdicts=(SPLIT,),
        new_verdicts_more=1,
        movers=(Mover("Jan", "jan", 0, 100, 100, 1),),
    )
    rendered = render_issue(week, PUBLIC_URL)
    for part in (rendered.html, rendered.text):
        assert re.search(r"and 1 more verdict\b", part) and "1 more verdicts" not in part
        assert "(1 vote)" in part and "1 votes" not in part
        assert "avg 65)" in part and "65.0" not in part


def test_every_item_links_to_its_page_with_the_campaign() -> None:
    """Tool and comparison pages, tagged utm_source=digest&utm_medium=email&utm_campaign=<week>."""
    week = _week(
        new_verdicts=(SPLIT,),
        comparisons=(Comparison("Zed", "Aider", "zed", "aider", 2, "Close.", "Ship", "Ship", 2),),
        most_shipped=(Pick("Jan", "jan", 3, 0, ""),),
        verdict_changes=(FLIP,),
    )
    rendered = render_issue(week, PUBLIC_URL, POSTAL_ADDRESS)
    tags = f"utm_source=digest&amp;utm_medium=email&amp;utm_campaign={WEEK}"
    for path in ("/tools/devin", "/tools/jan", "/tools/replit-agent", "/compare/aider-vs-zed"):
        assert f'href="{PUBLIC_URL}{path}?{tags}"' in rendered.html, path
        assert f"{PUBLIC_URL}{path}?{tags.replace('&amp;', '&')}" in rendered.text, path
    assert compare_path("zed", "aider") == compare_path("aider", "zed") == "/compare/aider-vs-zed"


def test_the_footer_has_browser_subscribe_and_postal_address() -> None:
    rendered = render_issue(_week(verdict_changes=(FLIP,)), PUBLIC_URL, POSTAL_ADDRESS)
    html, text = rendered.html, rendered.text
    assert re.search(
        rf'href="{PUBLIC_URL}/digests/{WEEK}\?utm_[^"]*"[^>]*>View in browser</a>', html
    )
    assert re.search(
        rf'Forwarded this\? <a href="{PUBLIC_URL}/subscribe\?utm_[^"]*"[^>]*>Subscribe</a>', html
    )
    assert "Forwarded this? Subscribe: https://sos.example/subscribe?utm_source=digest" in text
    assert POSTAL_ADDRESS in html and text.rstrip().endswith(POSTAL_ADDRESS)


def test_asked_about_names_stay_out_of_subject_and_preheader() -> None:
    from digest.snapshot_model import Asked

    week = _week(asked_about=(Asked("Buy My Coin", 9, 5),))
    assert week.subject == "1 tool you asked about, not yet reviewed"
    assert "Coin" not in editorial.preheader(week)
