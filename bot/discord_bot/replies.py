"""Core replies as Discord messages: cards are public with buttons, the rest is personal."""

from __future__ import annotations

from collections.abc import Callable

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

ToolIds = Callable[[str], int | None]
"""Slug to tool id, for the custom_ids of a card's buttons."""


def note(text: str) -> Outgoing:
    """A personal text answer (confirmations and every error)."""
    return Outgoing(content=shorten(embeds.safe(text), CONTENT), ephemeral=True)


def compare_message(card: CompareCard, tool_ids: ToolIds) -> Outgoing:
    first, second = tool_ids(card.first.slug), tool_ids(card.second.slug)
    view = None if first is None or second is None else compare_buttons(card, first, second)
    specs = embeds.compare_specs(card)
    return Outgoing(embeds=embeds.to_embeds(specs), view=view, ephemeral=False)


def tool_message(card: ToolCard, tool_ids: ToolIds) -> Outgoing:
    tool_id = tool_ids(card.slug)
    view = None if tool_id is None else tool_buttons(card, tool_id)
    return Outgoing(embeds=embeds.to_embeds(embeds.tool_specs(card)), view=view, ephemeral=False)


def render(reply: Reply, tool_ids: ToolIds) -> Outgoing:
    match reply:
        case CompareCard():
            return compare_message(reply, tool_ids)
        case ToolCard():
            return tool_message(reply, tool_ids)
        case BookmarkList():
            return Outgoing(embeds=embeds.to_embeds(embeds.bookmark_specs(reply)))
        case HelpView():
            return Outgoing(embeds=embeds.to_embeds(embeds.help_specs(reply)))
        case VoteResult() | BookmarkResult() | NoticeView():
            return note(reply.message)
        case ErrorView():
            return note(reply.full_text)
