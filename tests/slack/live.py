"""Helpers for live-card tests: app instances on one database, a card, clicks on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.core.service import CommandService
from bot.runner import Runtime, web_route_installers
from bot.slack_bot import blocks
from bot.slack_bot.app import SlackFrontEnd
from bot.slack_bot.poster import SlackPoster
from bot.web.app import bound_port, build_web_app, serve
from db.engine import Database
from tests.slack.conftest import ADMIN, BOT_TOKEN, RunningApp, slack_settings
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import CHANNEL, TEAM, action_body


@asynccontextmanager
async def instances(fake: FakeSlack, databases: list[Database]) -> AsyncIterator[list[RunningApp]]:
    """One running web app per database handle (separate engines: separate "processes")."""
    fake.add_workspace(TEAM, BOT_TOKEN, admins={ADMIN})
    apps: list[RunningApp] = []
    runners = []
    for database in databases:
        settings = slack_settings(database, fake, bot_token=SecretStr(BOT_TOKEN))
        runtime = Runtime(settings, database, CommandService(database))
        runner = await serve(build_web_app(runtime, web_route_installers(settings)), "127.0.0.1", 0)
        runners.append(runner)
        runtime.http_port = bound_port(runner)
        apps.append(
            RunningApp(
                runtime, fake, f"http://127.0.0.1:{runtime.http_port}", aiohttp.ClientSession()
            )
        )
    try:
        yield apps
    finally:
        for app in apps:
            await app.http.close()
        for runner in runners:
            await runner.cleanup()


def front(app: RunningApp) -> SlackFrontEnd:
    poster = app.runtime.posters["slack"]
    assert isinstance(poster, SlackPoster)
    return poster.front


async def settle(apps: list[RunningApp]) -> None:
    """Until every instance finished its background work (redraws, confirmations)."""
    for _ in range(3):
        await asyncio.gather(*(front(a).background.drain() for a in apps))


async def post_card(app: RunningApp) -> tuple[str, dict[str, dict[str, Any]]]:
    """/compare cursor vs copilot in the channel; its ts and its buttons by action id."""
    from tests.slack.test_commands import command

    await command(app, "/compare", "cursor vs copilot", "card")
    channel, ts = app.fake.url_message["card"]
    assert channel == CHANNEL
    card = app.fake.message(channel, ts)
    buttons = {
        e["action_id"]: e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    return ts, buttons


def click_body(app: RunningApp, ts: str, button: dict[str, Any], user: str, key: str) -> str:
    return action_body(
        button["action_id"],
        button["value"],
        app.fake.response_url(key, CHANNEL, ts),
        user=user,
        message_ts=ts,
    )


async def truth(app: RunningApp, button: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's blocks rendered from the database now."""
    first, second = (int(x) for x in button["value"].split(":")[1:])
    card = await app.runtime.service.compare_by_id(first, second, fresh=True)
    return list(blocks.render(card)["blocks"])  # type: ignore[arg-type]


def community(card: dict[str, Any]) -> list[str]:
    """Each tool's community line as the channel sees it."""
    lines = []
    for block in card["blocks"]:
        for field in block.get("fields", []):
            if field["text"].startswith("*Community*"):
                lines.append(field["text"].split("\n", 1)[1])
    return lines


Pick = Callable[[dict[str, dict[str, Any]]], dict[str, Any]]
