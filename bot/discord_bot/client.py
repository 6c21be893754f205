"""The Discord client: commands, persistent buttons, and click handling.

One class for sharded and unsharded runs: ``AutoShardedClient`` asks Discord for
the shard count unless ``DISCORD_SHARD_COUNT`` fixes it, and ``DISCORD_SHARD_IDS``
picks the shards this process runs (several processes can share one database).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import discord
from discord import app_commands

from bot.core.card_refresher import CardRefresher, Draw
from bot.core.in_flight import InFlight
from bot.core.service import CommandService
from bot.core.views import CompareCard, ErrorView, ToolCard, Verdict, VoteResult
from bot.discord_bot.buttons import BookmarkButton, CardRef, VoteButton
from bot.discord_bot.commands import build_commands, context_of
from bot.discord_bot.live_card import (
    answer_with_card,
    card_drawer,
    card_key,
    claim_of,
    nothing_to_draw,
)
from bot.discord_bot.replies import compare_message, note, render, tool_message
from bot.discord_bot.respond import (
    ANSWER_WITHIN_S,
    NO_MENTIONS,
    Outgoing,
    send_personal,
    timeboxed,
)
from bot.discord_bot.sync import sync_if_changed
from bot.settings import DiscordSettings

log = logging.getLogger(__name__)
VOTE_ACK_WITHIN_S = 0.02
INCOMPLETE = "That command was incomplete or out of date. Try again from the command list."


def parse_shard_ids(text: str | None) -> list[int] | None:
    """``"0,2"`` → ``[0, 2]``; unset → every shard."""
    if not text or not text.strip():
        return None
    return [int(part) for part in text.split(",") if part.strip()]


class _Tree(app_commands.CommandTree[discord.Client]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        # Missing or unexpected options (a stale client, a crafted payload) get a clear answer.
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            log.info("bad command payload: %s", error)
        else:
            log.error("command failed", exc_info=error)
        text = (
            INCOMPLETE
            if not isinstance(error, app_commands.CommandInvokeError)
            else "Something went wrong on our side; nothing was changed. Try again."
        )
        try:
            async with cast(ShipOrSkipClient, self.client).in_flight:
                await send_personal(interaction, note(text))
        except discord.HTTPException:
            log.warning("could not tell the user about a failed command")


class ShipOrSkipClient(discord.AutoShardedClient):
    """Serves the core's commands; holds no per-message state."""

    def __init__(
        self,
        service: CommandService,
        settings: DiscordSettings,
        *,
        answer_within_s: float = ANSWER_WITHIN_S,
        **options: Any,
    ) -> None:
        shard_ids = parse_shard_ids(settings.shard_ids)
        if shard_ids is not None:
            options["shard_ids"] = shard_ids
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            shard_count=settings.shard_count,
            # Nothing reads message history; a small cache keeps memory flat.
            max_messages=None,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.service = service
        self.settings = settings
        self.cards = CardRefresher(service.database)
        self.answer_within_s = answer_within_s
        # Every interaction handler, so a stop lets them finish (bot.discord_bot.part).
        self.in_flight = InFlight()
        self.tree = _Tree(self)
        for command in build_commands(self):
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton, BookmarkButton)
        if self.settings.gateway_url and self.shard_count is None:
            # With an explicit gateway, ask only for the recommended shard count.
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        await sync_if_changed(self.tree, self.service.database, self.settings.guild_id)

    # -- buttons --------------------------------------------------------------------------

    async def on_vote_click(
        self, interaction: discord.Interaction, tool_id: int, verdict: Verdict, card: CardRef
    ) -> None:
        async with self.in_flight:
            await self._vote_click(interaction, tool_id, verdict, card)

    async def _vote_click(
        self, interaction: discord.Interaction, tool_id: int, verdict: Verdict, card: CardRef
    ) -> None:
        ctx = context_of(interaction)
        response: discord.InteractionResponse[discord.Client] = interaction.response  # type: ignore[assignment]
        key = card_key(interaction)

        async def vote() -> tuple[VoteResult | ErrorView, Outgoing | None]:
            result = await self.service.vote_by_id(ctx, tool_id, verdict, key)
            # The click that is to redraw the card can carry it in its own answer.
            if isinstance(result, VoteResult) and (key is None or result.claim is not None):
                return result, await self._card(card)
            return result, None

        async def defer() -> None:
            await response.defer()  # DEFERRED_UPDATE_MESSAGE: the card is @original now

        # Acked as soon as a vote is not instant: a burst on one card queues votes behind
        # each other, and a deferred click is still confirmed and its card still redrawn.
        voting = asyncio.ensure_future(vote())
        try:
            result, fresh = await timeboxed(
                voting, min(self.answer_within_s, VOTE_ACK_WITHIN_S), defer
            )
            if isinstance(result, ErrorView):
                await send_personal(interaction, note(result.full_text))
                return
            draw, drawn = await self._answer_click(interaction, result, fresh, card)
        except Exception:
            # Discord refused an answer: a claim the vote took is given back at once, so
            # the next click redraws the card instead of waiting out the lease.
            claim = await claim_of(voting)
            if claim is not None:
                await self.cards.release(claim)
            raise
        if key is None:
            if not drawn:
                await draw()
        elif result.claim is not None:
            await self.cards.redraw(result.claim, draw, drawn=drawn)

    async def _answer_click(
        self,
        interaction: discord.Interaction,
        result: VoteResult,
        fresh: Outgoing | None,
        card: CardRef,
    ) -> tuple[Draw, bool]:
        """Answer a counted click; returns how to redraw its card and whether it just was."""
        response: discord.InteractionResponse[discord.Client] = interaction.response  # type: ignore[assignment]
        confirmation = note(result.message).kwargs()
        draw = card_drawer(interaction, lambda: self._card(card))
        if response.is_done():
            await interaction.followup.send(ephemeral=True, **confirmation)
            return draw, False
        if fresh is not None:
            # UPDATE_MESSAGE: the answer is the redrawn card, which is @original from now on.
            drawn = await answer_with_card(response, fresh)
            await interaction.followup.send(ephemeral=True, **confirmation)
            return draw, drawn
        # Another click is redrawing the card (or its tool is gone): the answer is the
        # private confirmation, which is @original from now on, so nothing may edit it.
        await response.send_message(ephemeral=True, **confirmation)
        return nothing_to_draw, True

    async def _card(self, card: CardRef) -> Outgoing | None:
        """The card re-rendered with fresh numbers, or None when one of its tools is gone."""
        if card.second is None:
            tool = await self.service.tool_by_id(card.first, fresh=True)
            if not isinstance(tool, ToolCard):
                return None
            return tool_message(tool)
        both = await self.service.compare_by_id(card.first, card.second, fresh=True)
        if not isinstance(both, CompareCard):
            return None
        return compare_message(both)

    async def on_bookmark_click(self, interaction: discord.Interaction, tool_id: int) -> None:
        async with self.in_flight:
            await self._bookmark_click(interaction, tool_id)

    async def _bookmark_click(self, interaction: discord.Interaction, tool_id: int) -> None:
        ctx = context_of(interaction)

        async def work() -> Outgoing:
            return render(await self.service.bookmark_by_id(ctx, tool_id))

        async def defer() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)

        out = await timeboxed(work(), self.answer_within_s, defer)
        if interaction.response.is_done():
            await interaction.edit_original_response(**out.kwargs())
        else:
            await interaction.response.send_message(ephemeral=True, **out.kwargs())
