"""The real web app (every route installer the runner uses) over a demo database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

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
from bot.web.app import build_web_app
from db.engine import Database
from tests.bot.web.fake_oauth import FakeOAuth

PUBLIC_URL = "http://sos.test"
Client = TestClient[web.Request, web.Application]


def site_settings(url: str, outbox: Path, oauth: FakeOAuth | None = None) -> Settings:
    discord = DiscordSettings()
    slack = SlackSettings()
    if oauth is not None:
        discord = DiscordSettings(
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,  # type: ignore[arg-type]
            oauth_authorize_url=f"{oauth.url}/discord/oauth2/authorize",
            oauth_api_url=f"{oauth.url}/discord/api",
        )
        slack = SlackSettings(
            signin_client_id=oauth.client_id,
            signin_client_secret=oauth.client_secret,  # type: ignore[arg-type]
            signin_authorize_url=f"{oauth.url}/slack/openid/connect/authorize",
            api_url=f"{oauth.url}/slack/api",
        )
    return Settings(
        database=DatabaseSettings(url=url),
        app=AppSettings(public_url=PUBLIC_URL, secret_key="site-test-secret"),  # type: ignore[arg-type]
        discord=discord,
        slack=slack,
        http=HttpSettings(),
        mail=MailSettings(outbox_dir=outbox),
        digest=DigestSettings(),
    )


@pytest.fixture
async def oauth() -> AsyncIterator[FakeOAuth]:
    fake = await FakeOAuth().start()
    yield fake
    await fake.stop()


@pytest.fixture
def runtime(demo_database: Database, tmp_path: Path, oauth: FakeOAuth) -> Runtime:
    settings = site_settings("sqlite+aiosqlite://", tmp_path / "outbox", oauth)
    return Runtime(settings, demo_database, CommandService(demo_database))


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[Client]:
    app = build_web_app(runtime, web_route_installers(runtime.settings))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client
    if runtime.digest is not None:
        await runtime.digest.sender.close()


def local(url: str) -> str:
    """Our public URL as a path on the test server."""
    assert url.startswith(PUBLIC_URL), url
    return url.removeprefix(PUBLIC_URL) or "/"


async def sign_in(client: Client, oauth: FakeOAuth, provider: str, next_path: str = "/") -> str:
    """Walk the browser's side of the flow; returns the page we land on."""
    start = await client.get(
        f"/signin/{provider}", params={"next": next_path}, allow_redirects=False
    )
    assert start.status == 302
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = consent.headers["Location"]
    done = await client.get(local(back), allow_redirects=False)
    assert done.status == 302, await done.text()
    return done.headers["Location"]


def csrf_of(html: str) -> str:
    found = re.search(r'action="/vote".*?name="csrf" value="([^"]+)"', html, re.S)
    assert found, "no vote form on the page"
    return found[1]
