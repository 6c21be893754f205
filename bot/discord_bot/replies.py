"""Core replies as Discord messages: cards are public with buttons, the rest is personal."""

from __future__ import annotations

import functools

from bot.core.text import shorten
from bot.core.views import (
    BookmarkList,
    BookmarkResult,
    CompareCard,
    ErrorView,
    HelpView,
    NoticeView,
    Reply,
    ToolCard,
    VoteResult,
)
from bot.discord_bot import embeds
from bot.discord_bot.buttons import compare_buttons, tool_buttons
from bot.discord_bot.limits import CONTENT, EmbedSpec
from bot.discord_bot.respond import Outgoing


def note(text: str) -> Outgoing:
    """A personal text answer (confirmations and every error)."""
    return Outgoing(content=shorten(embeds.safe(text), CONTENT), ephemeral=True)


# Cards are frozen (hashable) view models that carry their tallies, so a card's text is
# formatted once per (tools, counts) and reused until a vote changes the counts.
# Only the specs are cached: discord.py's Embed and View objects are mutable.
CARD_CACHE = 1024


@functools.lru_cache(maxsize=CARD_CACHE)
def _compare_specs(card: CompareCard) -> tuple[EmbedSpec, ...]:
    return tuple(embeds.compare_specs(card))


@functools.lru_cache(maxsize=CARD_CACHE)
def _tool_specs(card: ToolCard) -> tuple[EmbedSpec, ...]:
    return tuple(embeds.tool_specs(card))


def compare_message(card: CompareCard) -> Outgoing:
    specs = list(_compare_specs(card))
    return Outgoing(embeds=embeds.to_embeds(specs), view=compare_buttons(card), ephemeral=False)


def tool_message(card: ToolCard) -> Outgoing:
    specs = list(_tool_specs(card))
    return Outgoing(embeds=embeds.to_embeds(specs), view=tool_buttons(card), ephemeral=False)


def render(reply: Reply) -> Outgoing:
    match reply:
        case CompareCard():
            return compare_message(reply)
        case ToolCard():
            return tool_message(reply)
        case BookmarkList():
            return Outgoing(embeds=embeds.to_embeds(embeds.bookmark_specs(reply)))
        case HelpView():
            return Outgoing(embeds=embeds.to_embeds(embeds.help_specs(reply)))
        case VoteResult() | BookmarkResult() | NoticeView():
            return note(reply.message)
        case ErrorView():
            return note(reply.full_text)
