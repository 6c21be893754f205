"""Redrawing a Discord card after a vote, through the platform-neutral card refresher.

A click is answered at once with DEFERRED_UPDATE_MESSAGE, which makes the card the
interaction's ``@original``; the refresher then edits it, one edit in flight per card
(across processes), each rendered from the database when sent. Edits therefore never
land out of order, and the last one shows the final tallies. discord.py's HTTPClient
keeps to the route buckets (and waits out any 429's ``retry_after``) for every edit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.core.card_refresher import Draw
from bot.discord_bot.respond import Outgoing

log = logging.getLogger(__name__)


def card_key(interaction: discord.Interaction) -> str | None:
    """``discord:<channel>:<message>`` of the clicked card; None for an ephemeral one."""
    message = interaction.message
    if message is None or message.flags.ephemeral:
        return None
    return f"discord:{interaction.channel_id}:{message.id}"


def card_drawer(
    interaction: discord.Interaction, render: Callable[[], Awaitable[Outgoing | None]]
) -> Draw:
    async def draw() -> bool:
        fresh = await render()
        if fresh is None:
            return True  # a tool left the catalog: the card stays as it was
        try:
            await interaction.edit_original_response(**fresh.kwargs())
        except discord.HTTPException as exc:
            # An expired interaction token (15 minutes) or a deleted message.
            log.warning("could not edit card: %s %s", exc.status, exc.text)
            return False
        return True

    return draw
