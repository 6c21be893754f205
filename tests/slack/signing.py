"""Building requests the way Slack sends them: form bodies, JSON events, v0 signatures."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM = "T0TEAM"
CHANNEL = "C0GENERAL"
CARD_TS = "1700000000.000100"
# Slack gives every command and click its own trigger_id (and every click its action_ts).
_triggers = itertools.count(1)


def trigger_id() -> str:
    return f"{next(_triggers)}.2.3"


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
            "trigger_id": trigger_id(),
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
    message_ts: str = CARD_TS,
) -> str:
    """A block_actions payload; Slack includes the clicked message's blocks."""
    trigger = trigger_id()
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "text": "card"}
    if message_blocks is not None:
        message["blocks"] = message_blocks
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger,
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
                "action_ts": f"1700000001.{trigger.split('.')[0]:0>6}",
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
