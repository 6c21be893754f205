"""The attack: hammer GET /slack/install to fill the OAuth state table."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from bot.slack_bot.install_limit import INSTALLS_PER_WINDOW, InstallLimiter
from db.queries.slack_states import count_states
from db.slack_tables import slack_oauth_states
from tests.slack.conftest import RunningApp, Starter
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_oauth import oauth_app


async def _states(app: RunningApp) -> int:
    async with app.runtime.database.read() as session:
        return await count_states(session)


async def test_install_flood_writes_bounded_rows(start_app: Starter, fake_slack: FakeSlack) -> None:
    app = await oauth_app(start_app, fake_slack)
    statuses = []
    for _ in range(INSTALLS_PER_WINDOW * 5):
        url = f"{app.base}/slack/install"
        async with app.http.get(url, allow_redirects=False) as response:
            statuses.append(response.status)
    assert statuses.count(302) == INSTALLS_PER_WINDOW
    assert statuses.count(429) == INSTALLS_PER_WINDOW * 4
    assert await _states(app) == INSTALLS_PER_WINDOW


async def test_expired_states_are_purged(start_app: Starter, fake_slack: FakeSlack) -> None:
    app = await oauth_app(start_app, fake_slack)
    long_ago = datetime(2020, 1, 1)
    async with app.runtime.database.write() as session:
        await session.execute(
            insert(slack_oauth_states),
            [
                {"state": f"old-{i}", "expire_at": long_ago + timedelta(seconds=i)}
                for i in range(50)
            ],
        )
    async with app.http.get(f"{app.base}/slack/install", allow_redirects=False) as response:
        assert response.status == 302
    assert await _states(app) == 1


def test_limiter_forgets_after_the_window_and_bounds_its_table() -> None:
    limiter = InstallLimiter(per_window=2, window_s=10, max_addresses=3)
    assert [limiter.allow("a", now=0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("a", now=10.5)
    for i in range(10):
        limiter.allow(f"ip{i}", now=11)
    assert len(limiter._seen) == 3
