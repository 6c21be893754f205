"""The shipped Slack app manifest matches what the app serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.slack_bot.app import EVENTS_PATH, REDIRECT_PATH
from bot.slack_bot.commands import TEXT_COMMANDS
from bot.slack_bot.config import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-manifest.yml"


def manifest() -> dict[str, Any]:
    return dict(YAML(typ="safe").load(MANIFEST.read_text()))


def test_every_command_is_declared_and_points_at_the_events_route() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert {c["command"] for c in commands} == {*TEXT_COMMANDS, "/shiporskip", "/digest"}
    assert all(c["url"].endswith(EVENTS_PATH) for c in commands)


def test_scopes_urls_and_events_match() -> None:
    data = manifest()
    assert tuple(data["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert data["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    assert data["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
