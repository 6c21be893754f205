"""The ``discord`` part of ``shiporskip run``: connect, serve, and offer the digest poster."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

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


class DiscordPart:
    """The Discord connection as a part of ``run``: on stop, takes no new interactions
    and lets those in hand finish (their answers, confirmations and card redraws)."""

    name = "discord"

    def __init__(self, *, answer_within_s: float = ANSWER_WITHIN_S) -> None:
        self.answer_within_s = answer_within_s
        self._client: ShipOrSkipClient | None = None

    async def start(self, runtime: Runtime) -> None:
        """Run until cancelled; a bad token ends the process with a clear message."""
        token = runtime.settings.discord.token
        if token is None:
            raise SystemExit("DISCORD_TOKEN is not set")
        client = self._client = make_client(runtime, answer_within_s=self.answer_within_s)
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
            self._client = None
            runtime.posters.pop(DiscordPoster.platform, None)
            runtime.readiness.pop("discord", None)

    def ready(self) -> tuple[bool, str] | None:
        return None  # the client's check is in runtime.readiness while it runs

    async def drain(self) -> None:
        client = self._client
        if client is None:
            return
        # Closing the gateway (code 1000: no resume) stops new interactions; the REST
        # session stays open until the part is cancelled, so work in hand can answer.
        for shard in list(client.shards.values()):
            await shard.disconnect()
        if len(client.in_flight):
            log.info("waiting for %d Discord interaction(s) in hand", len(client.in_flight))
        await client.in_flight.idle()

    def __call__(self, runtime: Runtime) -> Coroutine[Any, Any, None]:
        return self.start(runtime)


async def discord_part(runtime: Runtime, *, answer_within_s: float = ANSWER_WITHIN_S) -> None:
    """Run until cancelled (``DiscordPart`` without its drain)."""
    await DiscordPart(answer_within_s=answer_within_s).start(runtime)
