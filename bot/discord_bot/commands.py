"""The application commands, built from the core's registry: options in, rendered reply out."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot.core.context import CommandContext
from bot.core.registry import CommandSpec, Invocation, OptionSpec, Platform, commands_for
from bot.core.text import shorten
from bot.discord_bot.limits import CHOICE_TEXT, CHOICES
from bot.discord_bot.replies import render
from bot.discord_bot.respond import Outgoing, send_reply

if TYPE_CHECKING:
    from bot.discord_bot.client import ShipOrSkipClient

PLATFORM: Platform = "discord"
SlashCommand = app_commands.Command[Any, Any, None]


def context_of(interaction: discord.Interaction) -> CommandContext:
    """Guild members vote per guild; in DMs the workspace is the user's own id."""
    user = interaction.user
    workspace = str(interaction.guild_id) if interaction.guild_id else str(user.id)
    return CommandContext(PLATFORM, workspace, str(user.id), user.display_name)


def build_commands(bot: ShipOrSkipClient) -> list[SlashCommand]:
    """Fresh command objects bound to ``bot`` (one set per client instance)."""
    service = bot.service

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

    def command(spec: CommandSpec) -> SlashCommand:
        async def callback(interaction: discord.Interaction, **values: str) -> None:
            # Options arrive by name; the core takes them in the spec's order.
            args = tuple(str(values.get(o.name) or "") for o in spec.options)
            in_server = interaction.guild_id is not None and interaction.channel_id is not None

            async def is_admin() -> bool:
                # Discord resolves the member's permissions in this channel into the payload.
                return interaction.permissions.manage_guild

            call = Invocation(
                context_of(interaction),
                args,
                str(interaction.channel_id) if in_server else None,
                is_admin,
            )

            async def rendered() -> Outgoing:
                answer = await service.invoke(spec, call)
                out = render(answer.reply)
                out.ephemeral = answer.visibility == "private"
                return out

            public = spec.visibility == "public"
            async with bot.in_flight:
                await send_reply(
                    interaction, rendered(), public=public, within_s=bot.answer_within_s
                )

        callback.__name__ = spec.name
        callback.__qualname__ = f"build_commands.<locals>.{spec.name}"
        callback.__signature__ = _signature(spec.options)  # type: ignore[attr-defined]
        if spec.options:
            descriptions = {o.name: o.description for o in spec.options}
            app_commands.describe(**descriptions)(callback)
        tools = {o.name: tool_names for o in spec.options if o.autocomplete}
        decorated: Any = app_commands.autocomplete(**tools)(callback) if tools else callback
        slash: SlashCommand = app_commands.command(name=spec.name, description=spec.summary)(
            decorated
        )
        if spec.admin_only:
            slash = app_commands.default_permissions(manage_guild=True)(slash)
        return slash

    return [command(spec) for spec in commands_for(PLATFORM)]


def _signature(options: tuple[OptionSpec, ...]) -> inspect.Signature:
    """What discord.py reads to build the options: a Literal annotation becomes choices."""
    params = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
            for option in options
        ),
    ]
    return inspect.Signature(params)


def _annotation(option: OptionSpec) -> Any:
    kind: Any = Literal[option.choices] if option.choices else str  # type: ignore[valid-type]
    return kind if option.required else kind | None
