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

    def __post_init__(self) -> None:
        # Ids come from platform payloads; keep them storable whatever arrives (the columns
        # hold 64 characters, and PostgreSQL refuses NUL in text).
        for name in ("platform", "workspace", "user_id"):
            value = getattr(self, name)
            safe = value.replace("\x00", "")[:ID_LIMIT] if isinstance(value, str) else str(value)
            object.__setattr__(self, name, safe or "-")

    @property
    def voter(self) -> Voter:
        return Voter(self.platform, self.workspace, self.user_id)
