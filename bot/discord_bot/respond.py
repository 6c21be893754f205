"""Answering an interaction inside Discord's 3-second window, pinging no one.

Work that finishes within ``within_s`` is answered with a single callback (fast and
cheap). Slower work is deferred first (Discord shows "thinking…") and the answer is
edited in afterwards, so a slow database never loses the interaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord

NO_MENTIONS = discord.AllowedMentions.none()
ANSWER_WITHIN_S = 2.0
T = TypeVar("T")


@dataclass
class Outgoing:
    """One message to send: text and/or embeds, optional buttons, and who sees it."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    ephemeral: bool = True

    def kwargs(self) -> dict[str, Any]:
        """Arguments for send/edit calls; absent parts are left out rather than cleared."""
        out: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "embeds": self.embeds}
        if self.content is not None:
            out["content"] = self.content
        if self.view is not None:
            out["view"] = self.view
        return out


async def timeboxed(
    work: Awaitable[T], within_s: float, on_slow: Callable[[], Awaitable[None]]
) -> T:
    """``work``'s result; if it takes longer than ``within_s``, run ``on_slow`` first."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), within_s)
    except TimeoutError:
        await on_slow()
        return await task


async def send_reply(
    interaction: discord.Interaction, work: Awaitable[Outgoing], *, public: bool, within_s: float
) -> None:
    """Answer a slash command; ``public`` says how a deferred answer is first shown."""
    response: discord.InteractionResponse[discord.Client] = interaction.response  # type: ignore[assignment]

    async def defer() -> None:
        await response.defer(thinking=True, ephemeral=not public)

    out = await timeboxed(work, within_s, defer)
    if not response.is_done():
        await response.send_message(ephemeral=out.ephemeral, **out.kwargs())
    elif out.ephemeral == (not public):
        await interaction.edit_original_response(**out.kwargs())
    else:
        # Deferred in public but the answer is personal (an error): swap the placeholder.
        await interaction.delete_original_response()
        await interaction.followup.send(ephemeral=True, **out.kwargs())


async def send_personal(interaction: discord.Interaction, out: Outgoing) -> None:
    """An ephemeral note, as the first answer or as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **out.kwargs())
    else:
        await interaction.response.send_message(ephemeral=True, **out.kwargs())
