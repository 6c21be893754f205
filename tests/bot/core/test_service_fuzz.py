"""Any command text through the whole service gets an answer, on both databases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import (
    BookmarkList,
    BookmarkResult,
    CompareCard,
    ErrorView,
    HelpView,
    NoticeView,
    ToolCard,
    VoteResult,
)

ANSWERS = (
    CompareCard,
    ToolCard,
    VoteResult,
    BookmarkResult,
    BookmarkList,
    HelpView,
    NoticeView,
    ErrorView,
)
words = st.sampled_from(
    [
        "cursor",
        "claude 4 sonnet",
        "vs",
        ",",
        "ship",
        "skip",
        "'",
        '"',
        "@everyone",
        "<!here>",
        "Robert'); DROP TABLE tools;--",
        "🚀",
        "\u200d",
        "\u202e",
        "%",
        "_",
        "ＣＵＲＳＯＲ",
    ]
)
lines = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda head, parts: head + " ".join(parts),
        st.sampled_from(["/compare ", "/vote ", "/tool ", "/bookmark ", "/bookmarks", "/help"]),
        st.lists(st.one_of(words, st.text(max_size=20)), max_size=6),
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=lines)
async def test_any_command_text_gets_an_answer(service: CommandService, text: str):
    reply = await service.run(CommandContext("console", "fuzz", "fuzzer"), text)
    assert isinstance(reply, ANSWERS)
