"""Ship, Skip and Bookmark buttons that keep working after a restart.

Everything a click needs travels in the button's custom_id (``sos:`` namespace,
tool ids, and which card to re-render), parsed back by ``DynamicItem`` templates
registered in ``setup_hook``. No view is kept in memory: a click arriving at a
freshly started process (or another shard's process) is handled the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import discord

from bot.core.text import shorten
from bot.core.views import CompareCard, ToolCard, Verdict
from bot.discord_bot.limits import BUTTON_LABEL, CUSTOM_ID

_ID = "[0-9]{1,20}"
VOTE_TEMPLATE = re.compile(
    rf"sos:v:(?P<verdict>ship|skip):(?P<tool>{_ID}):(?P<first>{_ID})(?::(?P<second>{_ID}))?"
)
BOOKMARK_TEMPLATE = re.compile(rf"sos:b:(?P<tool>{_ID})")


@dataclass(frozen=True, slots=True)
class CardRef:
    """Which card a button sits under: a comparison (two ids) or one tool."""

    first: int
    second: int | None = None

    @property
    def token(self) -> str:
        return f"{self.first}" if self.second is None else f"{self.first}:{self.second}"


class ClickHandler(Protocol):
    """What the client offers buttons (kept as a protocol to avoid an import cycle)."""

    async def on_vote_click(
        self, interaction: discord.Interaction, tool_id: int, verdict: Verdict, card: CardRef
    ) -> None: ...

    async def on_bookmark_click(self, interaction: discord.Interaction, tool_id: int) -> None: ...


def _handler(interaction: discord.Interaction) -> ClickHandler:
    return cast(ClickHandler, interaction.client)


def vote_id(verdict: Verdict, tool_id: int, card: CardRef) -> str:
    custom_id = f"sos:v:{verdict}:{tool_id}:{card.token}"
    assert len(custom_id) <= CUSTOM_ID
    return custom_id


def bookmark_id(tool_id: int) -> str:
    return f"sos:b:{tool_id}"


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    def __init__(
        self,
        verdict: Verdict,
        tool_id: int,
        card: CardRef,
        label: str = "",
        row: int | None = None,
    ) -> None:
        style = discord.ButtonStyle.success if verdict == "ship" else discord.ButtonStyle.danger
        super().__init__(
            discord.ui.Button(
                label=label or verdict.title(),
                style=style,
                custom_id=vote_id(verdict, tool_id, card),
            ),
            row=row,
        )
        self.verdict: Verdict = verdict
        self.tool_id = tool_id
        self.card = card

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        second = match["second"]
        card = CardRef(int(match["first"]), int(second) if second else None)
        return cls(cast(Verdict, match["verdict"]), int(match["tool"]), card)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_vote_click(
            interaction, self.tool_id, self.verdict, self.card
        )


class BookmarkButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BOOKMARK_TEMPLATE):
    def __init__(self, tool_id: int, label: str = "Bookmark", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=bookmark_id(tool_id)
            ),
            row=row,
        )
        self.tool_id = tool_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BookmarkButton:
        return cls(int(match["tool"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _handler(interaction).on_bookmark_click(interaction, self.tool_id)


def _label(action: Literal["Ship", "Skip", "Bookmark"], name: str) -> str:
    return shorten(f"{action} {name}", BUTTON_LABEL)


def _tool_row(view: discord.ui.View, tool_id: int, name: str, card: CardRef, row: int) -> None:
    view.add_item(VoteButton("ship", tool_id, card, _label("Ship", name), row))
    view.add_item(VoteButton("skip", tool_id, card, _label("Skip", name), row))
    view.add_item(BookmarkButton(tool_id, _label("Bookmark", name), row))


def _stateless(view: discord.ui.View) -> discord.ui.View:
    # A stopped view is sent as plain components and never stored by discord.py;
    # clicks are routed by the registered DynamicItem templates instead.
    view.stop()
    return view


def compare_buttons(card: CompareCard) -> discord.ui.View:
    first, second = card.first, card.second
    return _compare_buttons(first.tool_id, first.name, second.tool_id, second.name, card.page_url)


def tool_buttons(card: ToolCard) -> discord.ui.View:
    return _tool_buttons(card.tool_id, card.name, card.page_url)


# The buttons depend on the tools, not on the counts: a vote redraws the card with the
# same view (shared, as the rendered cards are: a stopped view is only serialized).
@functools.lru_cache(maxsize=256)
def _compare_buttons(
    first_id: int, first_name: str, second_id: int, second_name: str, page_url: str
) -> discord.ui.View:
    ref = CardRef(first_id, second_id)
    view = discord.ui.View(timeout=None)
    _tool_row(view, first_id, first_name, ref, 0)
    _tool_row(view, second_id, second_name, ref, 1)
    _page_link(view, page_url, "Open full comparison", 2)
    return _stateless(view)


@functools.lru_cache(maxsize=256)
def _tool_buttons(tool_id: int, name: str, page_url: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    _tool_row(view, tool_id, name, CardRef(tool_id), 0)
    _page_link(view, page_url, "Open full page", 0)
    return _stateless(view)


def _page_link(view: discord.ui.View, url: str, label: str, row: int) -> None:
    # A link button opens the page in the browser; Discord sends us no interaction for it.
    if url:
        view.add_item(
            discord.ui.Button(style=discord.ButtonStyle.link, url=url, label=label, row=row)
        )
