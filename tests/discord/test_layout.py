"""Embed fitting on synthetic data at every Discord limit (no client needed)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.views import (
    BookmarkItem,
    BookmarkList,
    CommunityTally,
    CompareCard,
    PanelVerdict,
    ScorecardRow,
    ScoreLine,
    ToolCard,
)
from bot.discord_bot import embeds, limits
from bot.discord_bot.buttons import CardRef, compare_buttons, vote_id
from bot.discord_bot.limits import EmbedSpec, FieldSpec, fit, message_size
from tests.discord.checks import assert_within_limits


def _words(n: int) -> str:
    text = ("lorem ipsum dolor sit amet " * (n // 27 + 2))[:n]
    return text


def _line(slug: str, n: int) -> ScoreLine:
    return ScoreLine(slug, _words(n // 10 or 1), 99, "ship", _words(n), _words(n))


def _tool(name: str, n: int, critics: int = 4, tool_id: int = 1) -> ToolCard:
    return ToolCard(
        tool_id=tool_id,
        slug=name[:100],
        name=name,
        category=_words(n),
        best_for=_words(n),
        description=_words(n),
        pricing=_words(n),
        entry_price=_words(n),
        vendor="v",
        url="https://example.com",
        panel=PanelVerdict(3, 1, 80.0),
        community=CommunityTally(10, 5),
        scorecard=tuple(_line(f"c{i}", n) for i in range(critics)),
    )


def _compare(n: int, critics: int = 4, ids: tuple[int, int] = (1, 2)) -> CompareCard:
    a = _tool("A " + _words(n), n, critics, ids[0])
    b = _tool("B " + _words(n), n, critics, ids[1])
    rows = tuple(
        ScorecardRow(line.critic_slug, line.critic_name, line, b.scorecard[i])
        for i, line in enumerate(a.scorecard)
    )
    return CompareCard(a, b, _words(n), rows)


def _as_dict(specs: list[EmbedSpec]) -> dict[str, object]:
    return {"embeds": [e.to_dict() for e in embeds.to_embeds(specs)]}


@pytest.mark.parametrize("n", [1, 100, 256, 1024, 2048, 4096, 10_000])
@pytest.mark.parametrize("critics", [0, 4, 30])
def test_compare_card_fits_at_every_size(n: int, critics: int) -> None:
    specs = embeds.compare_specs(_compare(n, critics))
    assert_within_limits(_as_dict(specs))


@pytest.mark.parametrize("n", [1, 1024, 10_000])
def test_tool_card_fits(n: int) -> None:
    assert_within_limits(_as_dict(embeds.tool_specs(_tool("T", n, critics=30))))


def test_bookmark_list_over_25_items_says_how_many_more() -> None:
    item = BookmarkItem(
        "s", "Tool", "Cat", "best", PanelVerdict(1, 0, 90), CommunityTally(0, 0), None
    )
    specs = embeds.bookmark_specs(
        BookmarkList(tuple(replace(item, tool_name=f"T{i}") for i in range(30)))
    )
    assert len(specs[0].fields) == 25 and specs[0].footer == "and 5 more"


def test_fit_shortens_long_prose_before_short_facts() -> None:
    spec = EmbedSpec(
        title="t",
        description=_words(4096),
        fields=(FieldSpec("Verdict", "Ship"), FieldSpec("Review", _words(1024))),
    )
    fitted = fit([spec, spec])
    assert message_size(fitted) <= limits.MESSAGE_TOTAL
    assert fitted[0].fields[0].value == "Ship"
    assert fitted[0].description.endswith("…")


def test_fit_cuts_on_word_boundaries() -> None:
    fitted = fit([EmbedSpec(title="word " * 100)])
    assert fitted[0].title.endswith("word…")
    assert len(fitted[0].title) <= limits.TITLE


def test_fit_clips_to_25_fields_and_10_embeds() -> None:
    spec = EmbedSpec(fields=tuple(FieldSpec("n", "v") for _ in range(40)))
    fitted = fit([spec] * 12)
    assert len(fitted) == 10 and all(len(e.fields) == 25 for e in fitted)


def test_escaping_keeps_markdown_and_mentions_inert() -> None:
    assert embeds.safe("@everyone *hi*") == "@\u200beveryone \\*hi\\*"


def test_custom_ids_stay_under_100_chars_with_the_largest_ids() -> None:
    big = 2**64 - 1
    assert len(vote_id("skip", big, CardRef(big, big))) <= 100
    view = compare_buttons(_compare(10, ids=(big, big)))
    assert all(len(item.custom_id) <= 100 for item in view.children)  # type: ignore[attr-defined]
