"""Block Kit rendering stays inside every limit, with synthetic extremes and the real catalog."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.cards import compare_card
from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import (
    BookmarkItem,
    BookmarkList,
    CommunityTally,
    CompareCard,
    DigestItem,
    DigestPost,
    DigestSection,
    PanelVerdict,
    ScoreLine,
    ToolCard,
)
from bot.slack_bot import blocks
from bot.slack_bot.home import home_view
from bot.slack_bot.home_data import DigestLine, TrendLine, VoteLine
from tests.slack.fake_slack import MAX_HOME_BLOCKS, message_problems

WORD = "lorem&<ipsum> "


def long(n: int) -> str:
    return (WORD * (n // len(WORD) + 1))[:n]


def tool(slug: str, critics: int, size: int, tool_id: int = 1) -> ToolCard:
    return ToolCard(
        tool_id=tool_id,
        slug=slug,
        name=long(size),
        category=long(size),
        best_for=long(size * 3),
        description=long(size * 5),
        pricing=long(size * 2),
        entry_price=long(size),
        vendor=long(size),
        url="https://example.com/" + "a" * size,
        panel=PanelVerdict(critics, 0, 99.5),
        community=CommunityTally(10**9, 10**9),
        scorecard=tuple(
            ScoreLine(f"c{i}", long(size), 99, "ship", long(size * 2), long(size * 4))
            for i in range(critics)
        ),
    )


def card(critics: int, size: int, ids: tuple[int, int] = (1, 2)) -> CompareCard:
    first, second = tool("a", critics, size, ids[0]), tool("b", critics, size, ids[1])
    return compare_card(first, second, [f"c{i}" for i in range(critics)])


def texts(message: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for block in message["blocks"]:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(obj, dict):
                found.append(
                    obj["text"]
                    if "type" in obj and "text" in obj and isinstance(obj["text"], str)
                    else obj.get("text", {}).get("text", "")
                )
    return found


@pytest.mark.parametrize(("critics", "size"), [(0, 1), (4, 240), (40, 1000), (60, 5000)])
def test_compare_card_fits_every_limit(critics: int, size: int) -> None:
    message = blocks.compare_message(card(critics, size, (10**17, 10**17 + 1)))
    assert message_problems(message) == []
    assert message["blocks"][-1]["type"] == "actions"  # the buttons survive trimming


def test_trimmed_scorecard_says_how_many_critics_were_left_out() -> None:
    message = blocks.compare_message(card(60, 10))
    assert len(message["blocks"]) == 50
    assert any("more critics" in t for t in texts(message))


def test_oversized_text_is_shortened_on_word_boundaries() -> None:
    message = blocks.compare_message(card(4, 5000))
    header = message["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    button = message["blocks"][-1]["elements"][0]["text"]["text"]
    assert len(button) <= 75 and button.endswith("…")
    decision_or_fields = [t for t in texts(message) if t.endswith("…")]
    assert decision_or_fields and all(
        "&am…" not in t and "&l…" not in t for t in decision_or_fields
    )


def test_tool_card_fits_every_limit() -> None:
    message = blocks.tool_message(tool("a", 80, 4000, 7))
    assert message_problems(message) == []


def test_bookmarks_digest_and_home_fit() -> None:
    item = BookmarkItem(
        "s", long(500), long(500), long(900), PanelVerdict(1, 2, 3.0), CommunityTally(1, 1), "ship"
    )
    assert message_problems(blocks.bookmarks_message(BookmarkList((item,) * 120))) == []
    post = DigestPost(
        week=long(50),
        title=long(400),
        intro=long(9000),
        sections=tuple(
            DigestSection(
                long(300),
                tuple(
                    DigestItem(long(300), long(3000), "https://x.y/" + "z" * 300) for _ in range(40)
                ),
            )
            for _ in range(80)
        ),
        archive_url="https://example.com/digest",
    )
    assert message_problems(blocks.digest_message(post)) == []
    view = home_view(
        BookmarkList((item,) * 120),
        [VoteLine(long(300), "ship")] * 40,
        [TrendLine(long(300), 5)] * 10,
        DigestLine("2026-W48", long(3000)),
        "https://example.com/digest",
    )
    assert message_problems(view, MAX_HOME_BLOCKS) == []


async def test_longest_catalog_tools_render_within_limits(service: CommandService) -> None:
    """The longest name (Jetson kit) against the longest review (Humane AI Pin's skeptic)."""
    ctx = CommandContext("slack", "T1", "U1")
    reply = await service.compare(
        ctx, "NVIDIA Jetson Orin Nano Super Developer Kit", "Humane AI Pin"
    )
    assert isinstance(reply, CompareCard)
    message = blocks.compare_message(reply)
    assert message_problems(message) == []
    longest = max(len(line.text) for line in reply.second.scorecard)
    assert longest > 1000
    tool_reply = await service.tool(ctx, "Humane AI Pin")
    assert isinstance(tool_reply, ToolCard)
    assert message_problems(blocks.tool_message(tool_reply)) == []


def test_a_redrawn_card_shows_the_new_count_and_reuses_its_other_blocks() -> None:
    before = card(4, 240)
    shown = blocks.compare_message(before)["blocks"]
    voted = replace(before.second, community=CommunityTally(7, 3))
    after = blocks.compare_message(replace(before, second=voted))
    changed = [
        i for i, (old, new) in enumerate(zip(shown, after["blocks"], strict=True)) if old is not new
    ]
    assert [after["blocks"][i]["block_id"] for i in changed] == [f"{blocks.TOOL_BLOCK}2"]
    assert any("70% ship · 10 votes (7 ship / 3 skip)" in t for t in texts(after))
    for cached in (blocks._tool_section, blocks._compare_head, blocks._compare_tail):
        cached.cache_clear()
    assert blocks.compare_message(replace(before, second=voted)) == after
