"""Who is asking, and where: the same shape for every platform."""

from __future__ import annotations

from dataclasses import dataclass

from db.queries.votes import Voter


@dataclass(frozen=True, slots=True)
class CommandContext:
    """``workspace`` is a Discord guild, a Slack team, or the user's own id in DMs."""

    platform: str
    workspace: str
    user_id: str
    user_name: str = ""

    @property
    def voter(self) -> Voter:
        return Voter(self.platform, self.workspace, self.user_id)
