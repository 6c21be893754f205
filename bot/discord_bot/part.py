"""The ``discord`` part of ``shiporskip run``: connect, serve, and offer the digest poster."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord_bot._discord_internals import set_api_base, set_gateway
from bot.discord_bot.client import ShipOrSkipClient
from bot.discord_bot.poster import DiscordPoster
from bot.discord_bot.respond import ANSWER_WITHIN_S
from bot.settings import DiscordSettings

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)


def use_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at DISCORD_API_URL / DISCORD_GATEWAY_URL when set.

    discord.py keeps both as class attributes, so they apply to the whole process,
    which serves one Discord application anyway.
    """
    if settings.api_url:
        set_api_base(settings.api_url)
    if settings.gateway_url:
        set_gateway(settings.gateway_url)


def make_client(runtime: Runtime, *, answer_within_s: float = ANSWER_WITHIN_S) -> ShipOrSkipClient:
    settings = runtime.settings.discord
    use_endpoints(settings)
    return ShipOrSkipClient(runtime.service, settings, answer_within_s=answer_within_s)


async def discord_part(runtime: Runtime, *, answer_within_s: float = ANSWER_WITHIN_S) -> None:
    """Run until cancelled; a bad token ends the process with a clear message."""
    token = runtime.settings.discord.token
    if token is None:
        raise SystemExit("DISCORD_TOKEN is not set")
    client = make_client(runtime, answer_within_s=answer_within_s)
    runtime.posters[DiscordPoster.platform] = DiscordPoster(client)
    runtime.readiness["discord"] = lambda: (
        client.is_ready() and not client.is_closed(),
        f"{len(client.guilds)} guilds, shards {sorted(client.shards)}"
        if client.is_ready()
        else "connecting",
    )
    try:
        async with client:
            await client.start(token.get_secret_value())
    except discord.LoginFailure as exc:
        raise SystemExit(f"Discord refused DISCORD_TOKEN: {exc}") from exc
    finally:
        runtime.posters.pop(DiscordPoster.platform, None)
        runtime.readiness.pop("discord", None)
