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
from bot.discord_bot import embeds, limits, replies
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


def test_clipping_returns_a_fitting_spec_as_it_is_and_mends_any_other() -> None:
    fitting = embeds.compare_specs(_compare(100))
    assert all(limits._clip(spec) is spec for spec in fitting)
    assert fit(fitting) == fitting
    spec = fitting[1]
    empty_field = replace(spec, fields=(FieldSpec("", "x"), *spec.fields[1:]))
    long_title = replace(spec, title="t" * (limits.TITLE + 1))
    long_value = replace(spec, fields=(FieldSpec("n", "v" * (limits.FIELD_VALUE + 1)),))
    many_fields = replace(spec, fields=(FieldSpec("n", "v"),) * (limits.FIELDS + 1))
    assert limits._clip(empty_field).fields[0].name == "—"
    assert len(limits._clip(long_title).title) == limits.TITLE
    assert len(limits._clip(long_value).fields[0].value) == limits.FIELD_VALUE
    assert len(limits._clip(many_fields).fields) == limits.FIELDS


def test_a_redrawn_card_shows_the_new_count_and_reuses_its_other_parts() -> None:
    before = _compare(300)
    shown = replies.compare_message(before).embeds
    voted = replace(before.first, community=CommunityTally(7, 3))
    after = replies.compare_message(replace(before, first=voted)).embeds
    assert [old is new for old, new in zip(shown, after, strict=True)] == [True, False, True, True]
    community = {f.name: f.value for f in after[1].fields}["Community"]
    assert community == "70% ship · 10 votes (7 ship / 3 skip)"
    for cached in (embeds._tool_spec, embeds._compare_header, embeds._compare_scorecard):
        cached.cache_clear()
    embeds.card_embed.cache_clear()
    replies._compare_rendered.cache_clear()
    fresh = replies.compare_message(replace(before, first=voted)).embeds
    assert [e.to_dict() for e in fresh] == [e.to_dict() for e in after]
