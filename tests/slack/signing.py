"""Building requests the way Slack sends them: form bodies, JSON events, v0 signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM = "T0TEAM"
CHANNEL = "C0GENERAL"


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with ``body`` (computed here, independently of slack_sdk)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(
    command: str,
    text: str,
    response_url: str,
    *,
    user: str = "U0ADA",
    team: str = TEAM,
    channel: str = CHANNEL,
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user: str = "U0ADA",
    team: str = TEAM,
    channel: str = CHANNEL,
    message_blocks: list[dict[str, Any]] | None = None,
) -> str:
    """A block_actions payload; Slack includes the clicked message's blocks."""
    message: dict[str, Any] = {"type": "message", "ts": "1700000000.000100", "text": "card"}
    if message_blocks is not None:
        message["blocks"] = message_blocks
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.3",
        "team": {"id": team, "domain": "test"},
        "channel": {"id": channel, "name": "general"},
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, team: str = TEAM) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev0001",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
    )
