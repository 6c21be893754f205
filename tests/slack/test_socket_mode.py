"""Socket Mode: the runner's slack part opens a connection and serves commands over it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest
from pydantic import SecretStr

from bot.core.service import CommandService
from bot.runner import Runtime, enabled_parts
from db.engine import Database
from db.models import Vote
from tests.slack.conftest import BOT_TOKEN, slack_settings
from tests.slack.db_checks import count
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import TEAM, action_body, command_body


@pytest.fixture
async def socket_app(demo_database: Database, fake_slack: FakeSlack) -> AsyncIterator[Runtime]:
    fake_slack.add_workspace(TEAM, BOT_TOKEN)
    settings = slack_settings(
        demo_database,
        fake_slack,
        signing_secret=None,
        bot_token=SecretStr(BOT_TOKEN),
        app_token=SecretStr(fake_slack.app_token),
    )
    runtime = Runtime(settings, demo_database, CommandService(demo_database))
    parts = enabled_parts(settings, console=False)
    task = asyncio.create_task(parts["slack"](runtime))
    yield runtime
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_slash_command_over_the_socket(socket_app: Runtime, fake_slack: FakeSlack) -> None:
    form = dict(
        parse_qsl(command_body("/compare", "cursor vs copilot", fake_slack.response_url("s")))
    )
    ack = await fake_slack.push(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": form,
        }
    )
    assert ack["envelope_id"] == "env-1"
    assert fake_slack.named("apps.connections.open")[0].token == fake_slack.app_token
    # A card ready in time travels in the envelope's ack (Slack's response payload).
    card = ack["payload"]
    assert card["response_type"] == "in_channel" and card["text"] == "Cursor vs GitHub Copilot"
    assert fake_slack.named("response_url") == []


async def test_button_over_the_socket(socket_app: Runtime, fake_slack: FakeSlack) -> None:
    import json

    ids = {t.slug: t.id for t in (await _names(socket_app))}
    value = f"{ids['cursor']}:{ids['cursor']}:{ids['github-copilot']}"
    raw = dict(
        parse_qsl(
            action_body(f"sos:vote:ship:{ids['cursor']}", value, fake_slack.response_url("b"))
        )
    )
    payload = json.loads(raw["payload"])
    await fake_slack.push({"envelope_id": "env-2", "type": "interactive", "payload": payload})
    await fake_slack.wait_calls("chat.postEphemeral")
    assert await count(socket_app.database, Vote) == 1


async def _names(runtime: Runtime) -> list:  # type: ignore[type-arg]
    from db.queries.tools import tool_names

    async with runtime.database.read() as session:
        return await tool_names(session)
