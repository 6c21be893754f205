"""A fake Slack, and our real web app (built by the runner) talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.core.service import CommandService
from bot.runner import Runtime, web_route_installers
from bot.settings import (
    AppSettings,
    DatabaseSettings,
    DigestSettings,
    DiscordSettings,
    HttpSettings,
    MailSettings,
    Settings,
    SlackSettings,
)
from bot.web.app import bound_port, build_web_app, serve
from db.engine import Database
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, sign

BOT_TOKEN = "xoxb-single-workspace-token"
ADMIN = "U0ADMIN"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.problems == [], fake.problems


def slack_settings(database: Database, fake: FakeSlack, **slack: Any) -> Settings:
    values: dict[str, Any] = {"signing_secret": SecretStr(SIGNING_SECRET), "api_url": fake.url}
    values.update(slack)
    return Settings(
        database=DatabaseSettings(url=database.url, _env_file=None),  # type: ignore[call-arg]
        app=AppSettings(_env_file=None, secret_key=SecretStr("test-secret-key")),  # type: ignore[call-arg]
        discord=DiscordSettings(_env_file=None),  # type: ignore[call-arg]
        slack=SlackSettings(_env_file=None, **values),  # type: ignore[call-arg]
        http=HttpSettings(_env_file=None, host="127.0.0.1", port=0),  # type: ignore[call-arg]
        mail=MailSettings(_env_file=None),  # type: ignore[call-arg]
        digest=DigestSettings(_env_file=None),  # type: ignore[call-arg]
    )


@dataclass
class RunningApp:
    runtime: Runtime
    fake: FakeSlack
    base: str
    http: aiohttp.ClientSession

    async def post(
        self, body: str, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        content_type = (
            "application/json" if body.startswith("{") else ("application/x-www-form-urlencoded")
        )
        sent = {"Content-Type": content_type, **(sign(body) if headers is None else headers)}
        async with self.http.post(f"{self.base}/slack/events", data=body, headers=sent) as response:
            await response.read()
            return response


Starter = Callable[..., Awaitable[RunningApp]]


@pytest.fixture
async def start_app(demo_database: Database, fake_slack: FakeSlack) -> AsyncIterator[Starter]:
    """Start the runner's web app with Slack routes; keyword args become SLACK_* settings."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(before: Callable[[Runtime], None] | None = None, **slack: Any) -> RunningApp:
        if "client_id" not in slack:
            slack.setdefault("bot_token", SecretStr(BOT_TOKEN))
        fake_slack.add_workspace(TEAM, BOT_TOKEN, admins={ADMIN})
        settings = slack_settings(demo_database, fake_slack, **slack)
        runtime = Runtime(settings, demo_database, CommandService(demo_database))
        if before is not None:
            before(runtime)
        app = build_web_app(runtime, web_route_installers(settings))
        runner = await serve(app, "127.0.0.1", 0)
        runners.append(runner)
        runtime.http_port = bound_port(runner)
        http = aiohttp.ClientSession()
        sessions.append(http)
        return RunningApp(runtime, fake_slack, f"http://127.0.0.1:{runtime.http_port}", http)

    yield start
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def running(start_app: Starter) -> RunningApp:
    return await start_app()
