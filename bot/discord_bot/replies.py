"""Core replies as Discord messages: cards are public with buttons, the rest is personal."""

from __future__ import annotations

import functools

import discord

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
from bot.discord_bot.limits import CONTENT
from bot.discord_bot.respond import Outgoing


def note(text: str) -> Outgoing:
    """A personal text answer (confirmations and every error)."""
    return Outgoing(content=shorten(embeds.safe(text), CONTENT), ephemeral=True)


# Cards are frozen (hashable) view models that carry their tallies, so a card is rendered
# once per (tools, counts) and reused until a vote changes the counts (a new card, a new
# key). The Embed and View objects are shared: nothing changes them after they are built
# (discord.py only serializes them, and never stores a stopped view).
CARD_CACHE = 256
Rendered = tuple[tuple[discord.Embed, ...], discord.ui.View]


@functools.lru_cache(maxsize=CARD_CACHE)
def _compare_rendered(card: CompareCard) -> Rendered:
    return tuple(map(embeds.card_embed, embeds.compare_specs(card))), compare_buttons(card)


@functools.lru_cache(maxsize=CARD_CACHE)
def _tool_rendered(card: ToolCard) -> Rendered:
    return tuple(map(embeds.card_embed, embeds.tool_specs(card))), tool_buttons(card)


def compare_message(card: CompareCard) -> Outgoing:
    parts, view = _compare_rendered(card)
    return Outgoing(embeds=list(parts), view=view, ephemeral=False)


def tool_message(card: ToolCard) -> Outgoing:
    parts, view = _tool_rendered(card)
    return Outgoing(embeds=list(parts), view=view, ephemeral=False)


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
