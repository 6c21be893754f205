"""Who clicked or typed what, from Slack payloads, as the core's CommandContext."""

from __future__ import annotations

from typing import Any

from bot.core.context import CommandContext

PLATFORM = "slack"


def from_command(body: dict[str, Any]) -> CommandContext:
    """A slash command's form fields (team_id, user_id, user_name)."""
    return CommandContext(
        platform=PLATFORM,
        workspace=str(body.get("team_id") or body.get("enterprise_id") or ""),
        user_id=str(body.get("user_id") or ""),
        user_name=str(body.get("user_name") or ""),
        enterprise_id=str(body.get("enterprise_id") or ""),
    )


def from_action(body: dict[str, Any]) -> CommandContext:
    """A block_actions payload (team, user)."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    return CommandContext(
        platform=PLATFORM,
        workspace=str(team.get("id") or user.get("team_id") or ""),
        user_id=str(user.get("id") or ""),
        user_name=str(user.get("username") or user.get("name") or ""),
        enterprise_id=str((body.get("enterprise") or {}).get("id") or ""),
    )
