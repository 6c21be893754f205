"""The application commands: parse Discord's options, call the core, render the reply."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot.core.context import CommandContext
from bot.core.text import shorten
from bot.core.views import ErrorView, Reply
from bot.discord_bot.limits import CHOICE_TEXT, CHOICES
from bot.discord_bot.replies import note, render
from bot.discord_bot.respond import Outgoing, send_reply

if TYPE_CHECKING:
    from bot.discord_bot.client import ShipOrSkipClient

PLATFORM = "discord"
DM_ONLY_DIGEST = ErrorView("usage", "The weekly digest can be posted in server channels only.")


def context_of(interaction: discord.Interaction) -> CommandContext:
    """Guild members vote per guild; in DMs the workspace is the user's own id."""
    user = interaction.user
    workspace = str(interaction.guild_id) if interaction.guild_id else str(user.id)
    return CommandContext(PLATFORM, workspace, str(user.id), user.display_name)


def build_commands(bot: ShipOrSkipClient) -> list[app_commands.Command[Any, Any, None]]:
    """Fresh command objects bound to ``bot`` (one set per client instance)."""
    service = bot.service

    async def answer(
        interaction: discord.Interaction, work: Awaitable[Reply], *, public: bool
    ) -> None:
        async def rendered() -> Outgoing:
            return render(await work)

        await send_reply(interaction, rendered(), public=public, within_s=bot.answer_within_s)

    async def tool_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Autocomplete can't be deferred: the core answers from its in-memory index.
        choices = await service.autocomplete(current, CHOICES)
        return [
            app_commands.Choice(name=shorten(c.name, CHOICE_TEXT), value=c.value)
            for c in choices
            if 0 < len(c.value) <= CHOICE_TEXT
        ][:CHOICES]

    @app_commands.command(name="compare")
    @app_commands.describe(first="A tool", second="The tool to weigh it against")
    @app_commands.autocomplete(first=tool_names, second=tool_names)
    async def compare(interaction: discord.Interaction, first: str, second: str) -> None:
        """Two tools side by side: panel verdict, scorecard, community."""
        ctx = context_of(interaction)
        await answer(interaction, service.compare(ctx, first, second), public=True)

    @app_commands.command(name="vote")
    @app_commands.describe(tool="The tool", choice="Ship it or skip it")
    @app_commands.autocomplete(tool=tool_names)
    async def vote(
        interaction: discord.Interaction, tool: str, choice: Literal["ship", "skip"]
    ) -> None:
        """Cast or change your community vote."""
        ctx = context_of(interaction)
        await answer(interaction, service.vote(ctx, tool, choice), public=False)

    @app_commands.command(name="bookmark")
    @app_commands.describe(tool="The tool to save (again to remove it)")
    @app_commands.autocomplete(tool=tool_names)
    async def bookmark(interaction: discord.Interaction, tool: str) -> None:
        """Save a tool for later (again to remove it)."""
        ctx = context_of(interaction)
        await answer(interaction, service.bookmark(ctx, tool), public=False)

    @app_commands.command(name="bookmarks")
    async def bookmarks(interaction: discord.Interaction) -> None:
        """Your saved tools with their current verdicts."""
        await answer(interaction, service.bookmarks(context_of(interaction)), public=False)

    @app_commands.command(name="tool")
    @app_commands.describe(tool="The tool")
    @app_commands.autocomplete(tool=tool_names)
    async def tool(interaction: discord.Interaction, tool: str) -> None:
        """One tool's card."""
        await answer(interaction, service.tool(context_of(interaction), tool), public=True)

    @app_commands.command(name="help")
    async def help_(interaction: discord.Interaction) -> None:
        """What Ship or Skip can do."""
        await send_reply(interaction, _ready(render(service.help())), public=False, within_s=1.0)

    @app_commands.command(name="subscribe")
    @app_commands.describe(email="Where to send the weekly verdict digest")
    async def subscribe(interaction: discord.Interaction, email: str) -> None:
        """Get the weekly verdict digest by email."""
        ctx = context_of(interaction)
        await answer(interaction, service.subscribe(ctx, email), public=False)

    @app_commands.command(name="link")
    @app_commands.describe(
        code="The code /link gave you on your other account; empty for a new one"
    )
    async def link(interaction: discord.Interaction, code: str | None = None) -> None:
        """Count your Discord and Slack accounts as one person."""
        await answer(interaction, service.link(context_of(interaction), code), public=False)

    @app_commands.command(name="unlink")
    async def unlink(interaction: discord.Interaction) -> None:
        """Split this account off from the accounts it is linked to."""
        await answer(interaction, service.unlink(context_of(interaction)), public=False)

    @app_commands.command(name="digest")
    @app_commands.describe(where="here: post the weekly digest in this channel; off: stop")
    @app_commands.default_permissions(manage_guild=True)
    async def digest(interaction: discord.Interaction, where: Literal["here", "off"]) -> None:
        """Post the weekly verdict digest in this channel (server managers only)."""
        if interaction.guild_id is None or interaction.channel_id is None:
            await send_reply(
                interaction, _ready(note(DM_ONLY_DIGEST.full_text)), public=False, within_s=1.0
            )
            return
        # Discord resolves the member's permissions in this channel into the payload.
        is_admin = interaction.permissions.manage_guild
        work = service.digest_channel(
            context_of(interaction),
            str(interaction.channel_id),
            enable=where == "here",
            is_admin=is_admin,
        )
        await answer(interaction, work, public=False)

    return [compare, vote, bookmark, bookmarks, tool, help_, subscribe, link, unlink, digest]  # type: ignore[list-item]


async def _ready(out: Outgoing) -> Outgoing:
    return out
