"""Redrawing a Discord card after a vote, through the platform-neutral card refresher.

The click whose vote took the card's claim answers with UPDATE_MESSAGE carrying the
redrawn card; one whose vote was slow answers with DEFERRED_UPDATE_MESSAGE. Either
makes the card the interaction's ``@original``, which the refresher then edits while
votes keep arriving: one edit in flight per card (across processes), each rendered
from the database when sent. Edits therefore never land out of order, and the last
one shows the final tallies. The other clicks on a card being redrawn answer with
their private confirmation only. discord.py's HTTPClient keeps to the route buckets
(and waits out any 429's ``retry_after``) for every edit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.core.card_refresher import Draw
from bot.core.views import ErrorView, VoteResult
from bot.discord_bot.respond import Outgoing
from db.queries.card_refresh import CardClaim

log = logging.getLogger(__name__)


def card_key(interaction: discord.Interaction) -> str | None:
    """``discord:<channel>:<message>`` of the clicked card; None for an ephemeral one."""
    message = interaction.message
    if message is None or message.flags.ephemeral:
        return None
    return f"discord:{interaction.channel_id}:{message.id}"


async def answer_with_card(
    response: discord.InteractionResponse[discord.Client], fresh: Outgoing
) -> bool:
    """Answer a click with the redrawn card (UPDATE_MESSAGE); False if Discord refused
    (the interaction expired or is unknown)."""
    return await _sent(response.edit_message(**fresh.kwargs()), "answer a click with its card")


async def claim_of(
    voting: asyncio.Future[tuple[VoteResult | ErrorView, Outgoing | None]],
) -> CardClaim | None:
    """The claim a click's vote took, once the vote is over (None: it took none)."""
    try:
        result, _ = await voting
    except Exception:
        return None
    return result.claim if isinstance(result, VoteResult) else None


async def nothing_to_draw() -> bool:
    """The draw of a click that cannot edit the card: the card stays as it was."""
    return True


def card_drawer(
    interaction: discord.Interaction, render: Callable[[], Awaitable[Outgoing | None]]
) -> Draw:
    async def draw() -> bool:
        fresh = await render()
        if fresh is None:
            return True  # a tool left the catalog: the card stays as it was
        # False for an expired interaction token (15 minutes) or a deleted message.
        return await _sent(interaction.edit_original_response(**fresh.kwargs()), "edit card")

    return draw


async def _sent(sending: Awaitable[object], what: str) -> bool:
    try:
        await sending
    except discord.HTTPException as exc:
        log.warning("could not %s: %s %s", what, exc.status, exc.text)
        return False
    return True
