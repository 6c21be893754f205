"""Posting the weekly digest into Slack channels (the ChannelPoster port)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.views import DigestPost
from bot.slack_bot.blocks import digest_message

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd


class SlackPoster:
    """Posts with the workspace's own bot token; raises when it cannot, so the digest retries."""

    platform = "slack"

    def __init__(self, front: SlackFrontEnd) -> None:
        self.front = front

    async def post_digest(self, workspace: str, channel_id: str, post: DigestPost) -> None:
        token = await self.front.bot_token_for(workspace)
        if token is None:
            raise LookupError(f"Slack workspace {workspace} has no installation (uninstalled?)")
        message = digest_message(post)
        await self.front.api.chat_postMessage(
            token=token,
            channel=channel_id,
            text=message["text"],
            blocks=message["blocks"],
            unfurl_links=False,
        )
