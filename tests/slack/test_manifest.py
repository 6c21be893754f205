"""The shipped Slack app manifest matches what the app serves and the command registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from typer.testing import CliRunner

from bot.cli import app
from bot.core.registry import commands_for
from bot.slack_bot.app import EVENTS_PATH, REDIRECT_PATH
from bot.slack_bot.commands import TEXT_COMMANDS
from bot.slack_bot.config import BOT_SCOPES
from bot.slack_bot.manifest import manifest_text

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
        "link_shared",
    }
    assert data["features"]["unfurl_domains"] == ["shiporskip.example.com"]
    assert {"links:read", "links:write"} <= set(data["oauth_config"]["scopes"]["bot"])


def test_manifest_file_is_the_one_generated_from_the_registry() -> None:
    """Drift between deploy/slack-manifest.yml and the registry fails here."""
    assert MANIFEST.read_text() == manifest_text(), "run: shiporskip slack manifest > " + str(
        MANIFEST.relative_to(MANIFEST.parents[1])
    )


def test_manifest_declares_exactly_the_registry_slack_commands() -> None:
    declared = {c["command"]: c for c in manifest()["features"]["slash_commands"]}
    assert set(declared) == {f"/{spec.name}" for spec in commands_for("slack")}
    assert "/help" not in declared  # Slack's own; ours is /shiporskip help
    for spec in commands_for("slack"):
        assert declared[f"/{spec.name}"]["description"] == spec.summary.removesuffix(".")


def test_manifest_check_exits_1_when_the_file_differs(tmp_path: Path) -> None:
    stale = tmp_path / "slack-manifest.yml"
    stale.write_text(manifest_text().replace("/bookmarks", "/saved"))
    runner = CliRunner()
    assert runner.invoke(app, ["slack", "manifest", "--check", "--file", str(stale)]).exit_code == 1
    fresh = tmp_path / "fresh.yml"
    printed = runner.invoke(app, ["slack", "manifest"])
    assert printed.exit_code == 0
    fresh.write_text(printed.stdout)
    assert runner.invoke(app, ["slack", "manifest", "--check", "--file", str(fresh)]).exit_code == 0
