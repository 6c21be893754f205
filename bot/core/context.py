"""Who is asking, and where: the same shape for every platform."""

from __future__ import annotations

from dataclasses import dataclass

from db.queries.votes import Voter

ID_LIMIT = 64


@dataclass(frozen=True, slots=True)
class CommandContext:
    """``workspace`` is a Discord guild, a Slack team, or the user's own id in DMs."""

    platform: str
    workspace: str
    user_id: str
    user_name: str = ""
    # A Slack Enterprise Grid org: its user ids hold across the org's workspaces.
    enterprise_id: str = ""
    # Set for a vote from a digest email link: the subscriber's confirmed address.
    email: str = ""

    def __post_init__(self) -> None:
        # Ids come from platform payloads; keep them storable whatever arrives (the columns
        # hold 64 characters, and PostgreSQL refuses NUL in text).
        for name in ("platform", "workspace", "user_id", "enterprise_id"):
            value = getattr(self, name)
            safe = value.replace("\x00", "")[:ID_LIMIT] if isinstance(value, str) else str(value)
            object.__setattr__(self, name, safe or ("" if name == "enterprise_id" else "-"))

    @property
    def voter(self) -> Voter:
        """Who votes: the identity (Discord: the user id alone, never the guild) via Voter."""
        return Voter(self.platform, self.workspace, self.user_id, self.enterprise_id, self.email)
