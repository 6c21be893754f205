"""Narrow interfaces the core and the digest use for side effects they don't own.

Implementations live with what they talk to: the email subscription flow in
``digest/``, chat posting in each front end. The runner wires them together.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.views import DigestPost, ErrorView, NoticeView


class Subscriptions(Protocol):
    """Email sign-up with double opt-in (implemented by the digest)."""

    async def request(
        self, email: str, *, source: str, requester: str | None = None
    ) -> NoticeView | ErrorView:
        """Validate ``email``, store it unconfirmed and send the confirmation email.

        ``requester`` names who asks, so each person has a budget of sign-ups.
        """
        ...


class ChannelGone(Exception):
    """The bot can no longer post in this channel (removed, archived, no permission)."""


class ChannelPoster(Protocol):
    """Posts the weekly digest into one platform's channels."""

    platform: str
    # Seconds between two posts into one workspace, to stay under the platform's limits.
    pace_s: float

    async def post_digest(
        self, workspace: str, channel_id: str, post: DigestPost, *, nonce: str | None = None
    ) -> None:
        """Post ``post``; raise ``ChannelGone`` when it never can, anything else to retry.

        ``nonce`` is the same on every attempt for one (issue, channel): a platform
        that deduplicates by it (Discord's ``enforce_nonce``) makes a repeat harmless.
        """
        ...
