"""Two `shiporskip run` processes on one host share one HTTP port (HTTP_REUSE_PORT=1).

Signed Slack commands go to the one port, each on a new connection; the kernel hands
the connections to either process. Each process counts what it answered on its own
METRICS_PORT: both must have answered, together exactly once per command, and every
card must be right.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from tests import postgres
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

BOT_TOKEN = "xoxb-reuse-port"
COMMANDS = 40
COUNTER = 'shiporskip_commands_total{command="compare",outcome="ok",platform="slack"}'


async def _card(
    http: aiohttp.ClientSession, slack: FakeSlack, port: int, key: str
) -> dict[str, Any]:
    """The /compare card: in the ack body when ready in time, else at the response_url."""
    arrived = slack.expect_response(key)
    body = command_body("/compare", "cursor vs copilot", slack.response_url(key))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()
        raw = await r.read()
    if raw and json.loads(raw).get("blocks"):
        arrived.cancel()
        return dict(json.loads(raw))
    return (await asyncio.wait_for(arrived, 10)).payload


async def _metrics_up(http: aiohttp.ClientSession, port: int) -> None:
    for _ in range(300):
        try:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"no metrics on {port}")


async def _answered(http: aiohttp.ClientSession, metrics_port: int) -> float:
    async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(COUNTER)
    )


async def test_two_processes_share_one_port(tmp_path: Path) -> None:
    name = await postgres.create_database()
    url = postgres.pg_url(name)
    database = Database(url)
    slack = FakeSlack()
    processes: list[asyncio.subprocess.Process] = []
    # A new connection per request, so the kernel's spreading is what is tested.
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
    try:
        await upgrade(database)
        await import_catalog(database, DEMO_CATALOG)
        await slack.start()
        slack.add_workspace(TEAM, BOT_TOKEN)
        port = free_port()
        metrics_ports = [free_port(), free_port()]
        for n, metrics_port in enumerate(metrics_ports):
            env = clean_env(
                DATABASE_URL=url,
                HTTP_PORT=str(port),
                HTTP_REUSE_PORT="1",
                METRICS_PORT=str(metrics_port),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.url,
                OUTBOX_DIR=str(tmp_path / "outbox"),
                HOME=str(tmp_path),
            )
            log = (tmp_path / f"bot{n}.log").open("w")
            processes.append(await spawn_run(env, stdout=log, stderr=log, cwd=tmp_path))
            # The second process starts only after the first holds the port: it must join it.
            await wait_healthy(http, f"http://127.0.0.1:{port}")
            await _metrics_up(http, metrics_port)
        assert all(p.returncode is None for p in processes), "a process could not bind"

        cards = await asyncio.gather(*(_card(http, slack, port, f"k{n}") for n in range(COMMANDS)))
        for card in cards:
            assert card["response_type"] == "in_channel"
            text = json.dumps(card["blocks"])
            assert "Cursor" in text and "GitHub Copilot" in text

        answered = [await _answered(http, m) for m in metrics_ports]
        assert sum(answered) == COMMANDS, answered
        assert all(a > 0 for a in answered), f"one process answered everything: {answered}"

        await stop_all(processes, [tmp_path / f"bot{n}.log" for n in range(2)])
    finally:
        await kill_leftovers(processes)
        await http.close()
        await slack.stop()
        await database.dispose()
        await postgres.drop_database(name)
