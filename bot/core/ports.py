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


class ChannelPoster(Protocol):
    """Posts the weekly digest into one platform's channels."""

    platform: str

    async def post_digest(self, workspace: str, channel_id: str, post: DigestPost) -> None:
        """Post ``post``; raise on failure so the caller can retry later."""
        ...
