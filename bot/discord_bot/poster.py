"""The weekly digest posted into Discord channels that opted in (``/digest here``)."""

from __future__ import annotations

import discord

from bot.core.views import DigestPost
from bot.discord_bot.embeds import digest_specs, to_embeds
from bot.discord_bot.respond import NO_MENTIONS


class DiscordPoster:
    """``ChannelPoster`` for Discord: one message with the digest as an embed."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post_digest(self, workspace: str, channel_id: str, post: DigestPost) -> None:
        """Post over REST; raises ``discord.HTTPException`` so the caller can retry later."""
        channel = self.client.get_partial_messageable(int(channel_id))
        await channel.send(embeds=to_embeds(digest_specs(post)), allowed_mentions=NO_MENTIONS)
