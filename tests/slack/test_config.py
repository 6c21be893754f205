"""Slack settings are checked at start-up with a clear message for what is missing."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.runner import enabled_parts, wants_console, web_route_installers
from bot.slack_bot.config import SlackConfigError, load_slack_config
from db.engine import Database
from tests.slack.conftest import RunningApp, slack_settings
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import sign


@pytest.fixture
def sqlite_only() -> Database:
    return Database("sqlite+aiosqlite:///:memory:")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bot_token": None, "signing_secret": SecretStr("s")}, "SLACK_BOT_TOKEN"),
        ({"bot_token": SecretStr("xoxb-1"), "signing_secret": None}, "SLACK_SIGNING_SECRET"),
        ({"client_id": "1.2", "signing_secret": SecretStr("s")}, "SLACK_CLIENT_SECRET"),
    ],
)
def test_incomplete_settings_name_what_is_missing(
    sqlite_only: Database, values: dict[str, object], message: str
) -> None:
    settings = slack_settings(sqlite_only, FakeSlack(), **values)
    with pytest.raises(SlackConfigError, match=message):
        load_slack_config(settings)


def test_socket_mode_needs_no_signing_secret(sqlite_only: Database) -> None:
    settings = slack_settings(
        sqlite_only,
        FakeSlack(),
        signing_secret=None,
        bot_token=SecretStr("xoxb-1"),
        app_token=SecretStr("xapp-1"),
    )
    assert load_slack_config(settings).socket_mode
    assert "slack" in enabled_parts(settings, console=False)
    assert not wants_console(settings)


def test_http_mode_adds_routes_not_a_part(sqlite_only: Database) -> None:
    settings = slack_settings(sqlite_only, FakeSlack(), bot_token=SecretStr("xoxb-1"))
    assert "slack" not in enabled_parts(settings, console=False)
    assert len(web_route_installers(settings)) >= 1


async def test_url_verification_answers_the_challenge(running: RunningApp) -> None:
    """Slack checks a new Request URL with a signed challenge."""
    body = '{"token": "t", "challenge": "abc123", "type": "url_verification"}'
    async with running.http.post(
        f"{running.base}/slack/events",
        data=body,
        headers={"Content-Type": "application/json", **sign(body)},
    ) as response:
        assert response.status == 200
        assert "abc123" in await response.text()
