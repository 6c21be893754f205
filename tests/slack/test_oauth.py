"""Installing into many workspaces: state, code exchange, encrypted tokens, uninstall."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

from pydantic import SecretStr
from sqlalchemy import text

from bot.core.views import DigestPost
from tests.slack.conftest import RunningApp, Starter
from tests.slack.db_checks import nothing_stored
from tests.slack.fake_slack import FakeSlack, Workspace
from tests.slack.signing import command_body, event_body
from tests.slack.test_commands import command

NEW_TEAM = "T0NEW"
NEW_TOKEN = "xoxb-new-workspace-token"


async def oauth_app(start_app: Starter, fake: FakeSlack) -> RunningApp:
    return await start_app(client_id=fake.client_id, client_secret=SecretStr(fake.client_secret))


async def begin_install(app: RunningApp) -> tuple[str, str]:
    """GET /slack/install; returns the state in the authorize URL and the cookie header."""
    async with app.http.get(f"{app.base}/slack/install", allow_redirects=False) as response:
        assert response.status == 302
        location = urlparse(response.headers["Location"])
        cookie = response.cookies["slack-app-oauth-state"]
    query = parse_qs(location.query)
    assert query["client_id"] == [app.fake.client_id]
    assert "commands" in query["scope"][0] and "chat:write" in query["scope"][0]
    return query["state"][0], f"slack-app-oauth-state={cookie.value}"


async def finish_install(app: RunningApp, code: str, state: str, cookie: str) -> int:
    url = f"{app.base}/slack/oauth_redirect?code={code}&state={state}"
    async with app.http.get(url, headers={"Cookie": cookie}, allow_redirects=False) as response:
        await response.read()
        return response.status


async def stored_bots(app: RunningApp) -> list[tuple[str, str]]:
    async with app.runtime.database.read() as session:
        rows = await session.execute(text("SELECT team_id, bot_token FROM slack_bots"))
        return [(r[0], r[1]) for r in rows]


async def test_install_stores_an_encrypted_token_and_serves_the_workspace(
    start_app: Starter, fake_slack: FakeSlack
) -> None:
    app = await oauth_app(start_app, fake_slack)
    state, cookie = await begin_install(app)
    fake_slack.oauth_codes["code-1"] = Workspace(NEW_TEAM, NEW_TOKEN)
    assert await finish_install(app, "code-1", state, cookie) == 200
    bots = await stored_bots(app)
    assert [team for team, _ in bots] == [NEW_TEAM]
    assert NEW_TOKEN not in bots[0][1] and bots[0][1].startswith("enc1:")
    async with app.runtime.database.read() as session:
        raw = await session.scalar(text("SELECT bot_token FROM slack_installations"))
    assert raw is not None and NEW_TOKEN not in raw

    card = await command(app, "/compare", "cursor vs copilot", "c", team=NEW_TEAM)
    assert card["response_type"] == "in_channel"
    # The installer may change the digest channel without being a workspace admin.
    done = await command(app, "/digest", "here", "d", team=NEW_TEAM, user="UINSTALLER")
    assert "will get the weekly verdict digest" in str(done["text"])

    post = DigestPost("2026-W48", "This week", "Intro", (), "https://example.com/d")
    await app.runtime.posters["slack"].post_digest(NEW_TEAM, "C0DIGEST", post)
    posted = (await fake_slack.wait_calls("chat.postMessage"))[0]
    assert posted.token == NEW_TOKEN and posted.payload["channel"] == "C0DIGEST"


async def test_replayed_state_is_refused(start_app: Starter, fake_slack: FakeSlack) -> None:
    app = await oauth_app(start_app, fake_slack)
    state, cookie = await begin_install(app)
    fake_slack.oauth_codes["code-1"] = Workspace(NEW_TEAM, NEW_TOKEN)
    assert await finish_install(app, "code-1", state, cookie) == 200
    fake_slack.oauth_codes["code-2"] = Workspace("T0OTHER", "xoxb-other")
    assert await finish_install(app, "code-2", state, cookie) in (400, 401)
    assert "code-2" in fake_slack.oauth_codes  # never exchanged
    assert [team for team, _ in await stored_bots(app)] == [NEW_TEAM]


async def test_bad_state_is_refused(start_app: Starter, fake_slack: FakeSlack) -> None:
    app = await oauth_app(start_app, fake_slack)
    _state, cookie = await begin_install(app)
    fake_slack.oauth_codes["code-1"] = Workspace(NEW_TEAM, NEW_TOKEN)
    forged = "forged-state"
    assert await finish_install(app, "code-1", forged, cookie) in (400, 401)
    assert await finish_install(app, "code-1", forged, f"slack-app-oauth-state={forged}") in (
        400,
        401,
    )
    assert "code-1" in fake_slack.oauth_codes
    assert await stored_bots(app) == []


async def test_uninstall_deletes_the_tokens(start_app: Starter, fake_slack: FakeSlack) -> None:
    app = await oauth_app(start_app, fake_slack)
    state, cookie = await begin_install(app)
    fake_slack.oauth_codes["code-1"] = Workspace(NEW_TEAM, NEW_TOKEN)
    assert await finish_install(app, "code-1", state, cookie) == 200
    response = await app.post(event_body({"type": "app_uninstalled"}, team=NEW_TEAM))
    assert response.status == 200
    for _ in range(100):  # bolt deletes after acking the event
        if not await stored_bots(app):
            break
        await asyncio.sleep(0.02)
    assert await stored_bots(app) == []
    async with app.runtime.database.read() as session:
        left = await session.scalar(text("SELECT count(*) FROM slack_installations"))
    assert left == 0


async def test_unknown_workspace_is_asked_to_reinstall(
    start_app: Starter, fake_slack: FakeSlack
) -> None:
    """bolt answers a workspace without an installation; no card, nothing recorded."""
    app = await oauth_app(start_app, fake_slack)
    body = command_body(
        "/compare", "cursor vs copilot", fake_slack.response_url("x"), team="T0NONE"
    )
    response = await app.post(body)
    assert response.status == 200
    answers = await fake_slack.wait_calls("response_url")
    assert "reinstall" in answers[0].payload["text"] and "blocks" not in answers[0].payload
    assert await nothing_stored(app.runtime.database)
