"""Posting the weekly digest into Slack channels (the ChannelPoster port)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.core.ports import ChannelGone
from bot.core.views import DigestPost
from bot.slack_bot.blocks import digest_message

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd


# chat.postMessage errors that posting again will never fix.
GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "restricted_action",
    }
)


class SlackPoster:
    """Posts with the workspace's own bot token; raises when it cannot, so the digest retries."""

    platform = "slack"
    # chat.postMessage: about one message per second (per channel, and workspace-wide).
    pace_s = 1.0

    def __init__(self, front: SlackFrontEnd) -> None:
        self.front = front

    async def post_digest(
        self, workspace: str, channel_id: str, post: DigestPost, *, nonce: str | None = None
    ) -> None:
        """Post (Slack has no idempotency key, so ``nonce`` is unused); 429s are retried."""
        token = await self.front.bot_token_for(workspace)
        if token is None:
            raise ChannelGone(f"Slack workspace {workspace} has no installation (uninstalled)")
        message = digest_message(post)
        try:
            await self.front.api.chat_postMessage(
                token=token,
                channel=channel_id,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in GONE_ERRORS:
                raise ChannelGone(error) from exc
            raise
