"""Two `shiporskip run` processes over one PostgreSQL hold one person's vote limit together.

Before people, each process kept its own limit: 20 votes in 10 s got through against a
limit of 10. Slack requests alternate between the two, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from db.models import Tool, Vote
from tests import postgres
from tests.ops.process import (
    clean_env,
    free_port,
    kill_leftovers,
    spawn_run,
    stop_all,
    wait_healthy,
)
from tests.ops.test_two_processes import slack_command
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, command_body

BOT_TOKEN = "xoxb-vote-limit"


async def test_the_vote_limit_holds_across_two_processes(pg_database: str, tmp_path: Path) -> None:
    name = await postgres.create_database()
    url = postgres.pg_url(name)
    database = Database(url)
    slack = FakeSlack()
    processes: list[asyncio.subprocess.Process] = []
    http = aiohttp.ClientSession()
    try:
        await upgrade(database)
        await import_catalog(database, DEMO_CATALOG)
        async with database.read() as session:
            slugs = list((await session.scalars(select(Tool.slug).order_by(Tool.id))).all())[:20]
        await slack.start()
        slack.add_workspace(TEAM, BOT_TOKEN)
        ports = [free_port(), free_port()]
        for n, port in enumerate(ports):
            env = clean_env(
                DATABASE_URL=url,
                HTTP_PORT=str(port),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.url,
                PUBLIC_URL="https://sos.example",
                OUTBOX_DIR=str(tmp_path / "outbox"),
                HOME=str(tmp_path),
            )
            log = (tmp_path / f"bot{n}.log").open("w")
            processes.append(await spawn_run(env, stdout=log, stderr=log, cwd=tmp_path))
        for port in ports:
            await wait_healthy(http, f"http://127.0.0.1:{port}")

        await asyncio.gather(
            *(
                slack_command(
                    http,
                    ports[i % 2],
                    command_body("/vote", f"{slug} ship", slack.response_url(f"v{i}")),
                )
                for i, slug in enumerate(slugs)
            )
        )
        answers = await slack.wait_calls("response_url", count=20, within=30)
        limited = [a for a in answers if "voting very fast" in str(a.payload)]
        assert len(limited) == 10
        async with database.read() as session:
            assert await session.scalar(select(func.count(Vote.id))) == 10

        await stop_all(processes, [tmp_path / f"bot{n}.log" for n in range(2)])
    finally:
        await kill_leftovers(processes)
        await http.close()
        await slack.stop()
        await database.dispose()
        await postgres.drop_database(name)
