"""Two `shiporskip run` processes over one PostgreSQL: Discord shards split between them,
Slack requests served by either (as behind a load balancer), the digest built once and
every subscriber emailed exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.digest_models import DigestIssue
from db.engine import Database
from db.migrate import upgrade
from tests import postgres
from tests.digest.conftest import add_subscribers, add_week_news
from tests.digest.smtp_sink import SmtpSink
from tests.discord.fake_discord import FakeDiscord
from tests.ops.process import (
    clean_env,
    free_port,
    kill_leftovers,
    spawn_run,
    stop_all,
    wait_healthy,
)
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, command_body, sign

SUBSCRIBERS = 150
BOT_TOKEN = "xoxb-two-processes"


async def start(env: dict[str, str], tmp_path: Path, n: int) -> asyncio.subprocess.Process:
    log = (tmp_path / f"bot{n}.log").open("w")
    return await spawn_run(env, stdout=log, stderr=log, cwd=tmp_path)


async def wait_ready(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    """discord.py reports ready a moment after its guilds arrived."""
    for _ in range(150):
        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
            body: dict[str, Any] = await response.json()
            if response.status == 200:
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"process on {port} never ready: {body}")


async def slack_command(http: aiohttp.ClientSession, port: int, body: str) -> str:
    """Posts a signed command; returns the ack body (a card ready in time travels in it)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()
        return await r.text()


async def test_two_processes_share_one_postgres(pg_database: str, tmp_path: Path) -> None:
    name = await postgres.create_database()
    url = postgres.pg_url(name)
    database = Database(url)
    discord, slack, sink = FakeDiscord(), FakeSlack(), SmtpSink()
    processes: list[asyncio.subprocess.Process] = []
    http = aiohttp.ClientSession()
    try:
        await upgrade(database)
        await import_catalog(database, DEMO_CATALOG)
        emails = await add_subscribers(database, SUBSCRIBERS)
        await add_week_news(database)  # a quiet week would (rightly) mail nobody
        await discord.start()
        await slack.start()
        slack.add_workspace(TEAM, BOT_TOKEN)
        await sink.start()
        ports = [free_port(), free_port()]
        for n, port in enumerate(ports):
            env = clean_env(
                DATABASE_URL=url,
                HTTP_PORT=str(port),
                **discord.env(),
                DISCORD_SHARD_COUNT="2",
                DISCORD_SHARD_IDS=str(n),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.url,
                SMTP_URL=sink.url,
                MAIL_POSTAL_ADDRESS="1 Test Street, Testville",
                SMTP_RATE="300",
                DIGEST_CRON="* * * * *",  # due at start-up in both: they must not double up
                PUBLIC_URL="https://sos.example",
                OUTBOX_DIR=str(tmp_path / "outbox"),
                HOME=str(tmp_path),
            )
            processes.append(await start(env, tmp_path, n))
        for port in ports:
            await wait_healthy(http, f"http://127.0.0.1:{port}")

        # Discord: each process identified only its own shard.
        await discord.wait_identified(2, within_s=30)
        assert sorted(i["shard"] for i in discord.identifies) == [[0, 2], [1, 2]]

        # Slack behind a load balancer: a vote through one, the card through the other.
        await slack_command(
            http, ports[0], command_body("/vote", "cursor ship", slack.response_url("v"))
        )
        await slack.wait_calls("response_url", count=1, within=10)
        card = await slack_command(
            http, ports[1], command_body("/compare", "cursor vs copilot", slack.response_url("c"))
        )
        if not card:  # not ready within the ack's second: it follows at the response_url
            calls = await slack.wait_calls("response_url", count=2, within=10)
            card = json.dumps(calls[-1].payload)
        assert "100% ship" in card and "1 vote" in card

        # The digest: one issue, one email per subscriber, work shared.
        await sink.wait_for(SUBSCRIBERS, seconds=60)
        await asyncio.sleep(1.0)  # let any stray duplicate arrive before counting
        assert Counter(r for m in sink.messages for r in m.recipients) == Counter(
            {e: 1 for e in emails}
        )
        async with database.read() as session:
            assert await session.scalar(select(func.count(DigestIssue.id))) == 1

        # Watching it: both ready (database, Discord shard, scheduler), and the metrics add up.
        sent = 0.0
        for port in ports:
            ready = await wait_ready(http, port)
            assert ready["checks"]["discord"]["ok"] and ready["checks"]["digest"]["ok"]
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
            sent += sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith('shiporskip_emails_total{kind="digest",result="sent"}')
            )
        assert sent == SUBSCRIBERS
        async with http.get(f"http://127.0.0.1:{ports[0]}/metrics") as response:
            assert 'shiporskip_votes_total{outcome="counted",platform="slack"} 1.0' in (
                await response.text()
            )

        await stop_all(processes, [tmp_path / f"bot{n}.log" for n in range(2)])
    finally:
        await kill_leftovers(processes)
        await http.close()
        await sink.stop()
        await slack.stop()
        await discord.stop()
        await database.dispose()
        await postgres.drop_database(name)
