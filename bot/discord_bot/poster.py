"""The weekly digest posted into Discord channels that opted in (``/digest here``)."""

from __future__ import annotations

import discord

from bot.core.ports import ChannelGone
from bot.core.views import DigestPost
from bot.discord_bot.embeds import digest_specs, to_embeds
from bot.discord_bot.respond import NO_MENTIONS

# Missing Access, Missing Permissions, Unknown Channel.
GONE_CODES = frozenset({50001, 50013, 10003})


class DiscordPoster:
    """``ChannelPoster`` for Discord: one message with the digest as an embed."""

    platform = "discord"
    # discord.py keeps to the per-route buckets (and waits out 429s) on its own.
    pace_s = 0.0

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post_digest(
        self, workspace: str, channel_id: str, post: DigestPost, *, nonce: str | None = None
    ) -> None:
        """Post over REST; ``nonce`` (sent with enforce_nonce) makes a repeat return the
        first message. Raises ``ChannelGone`` for a channel we can never post in again."""
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            embeds = to_embeds(digest_specs(post))
            if nonce is None:
                await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS)
            else:
                await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS, nonce=nonce)
        except (discord.Forbidden, discord.NotFound) as exc:
            if exc.code in GONE_CODES:
                raise ChannelGone(f"{exc.status} {exc.code}: {exc.text}") from exc
            raise
