"""Hot card: 200 users click Ship/Skip on one shared card within 10 s, on each platform.

The bot runs as ``shiporskip run`` in a subprocess against the fake Slack or Discord.
Reported: the click ack p99 (HTTP ack on Slack, interaction callback on Discord), how
many edits the card received (the card refresher coalesces a burst), whether the card
finally shows the database's numbers, and errors (no ack, no private confirmation,
tracebacks, Block Kit problems).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.core.service import CommandService
from bot.core.views import CompareCard
from db.engine import Database
from tests.bench.support import bench_database, percentile, row
from tests.discord.checks import custom_ids
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import click, slash
from tests.ops.process import free_port, spawn_run, wait_healthy
from tests.slack.fake_slack import FakeSlack
from tests.slack.live import community
from tests.slack.signing import SIGNING_SECRET, TEAM, action_body, command_body, sign

USERS = 200
SPREAD_S = 10.0
ACK_P99_MS = 50.0
SETTLE_S = 30.0
BOT_TOKEN = "xoxb-bench-token"
FIRST, SECOND = "Cursor", "GitHub Copilot"


async def _truth(database: Database, pair: tuple[int, int]) -> list[str]:
    card = await CommandService(database).compare_by_id(*pair)
    assert isinstance(card, CompareCard)
    return [card.first.community.label, card.second.community.label]


async def _settle(
    shown: Callable[[], list[str]], truth: Callable[[], Awaitable[list[str]]]
) -> bool:
    """Until the card shows the database's numbers (or SETTLE_S passes)."""
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        if shown() == await truth():
            await asyncio.sleep(1.0)  # and it stays so once the last redraw is done
            return shown() == await truth()
        await asyncio.sleep(0.2)
    return False


def _rows(
    area: str, backend: str, acks: list[float], updates: int, correct: bool, errors: int
) -> list[dict[str, Any]]:
    p99 = percentile([a * 1000 for a in acks], 99)
    return [
        row(
            area,
            "hot card: click ack p99",
            backend,
            p99,
            "ms",
            f"< {ACK_P99_MS:.0f} ms",
            p99 < ACK_P99_MS,
        ),
        row(area, f"hot card: updates sent for {USERS} clicks", backend, updates, "", "-", True),
        row(area, "hot card: final card correct", backend, correct, "", "True", correct),
        row(area, "hot card: errors", backend, errors, "", "0", errors == 0),
    ]


async def _slack(backend: str, rows: list[dict[str, Any]]) -> None:
    async with bench_database(backend) as database:
        fake = FakeSlack()
        await fake.start()
        fake.add_workspace(TEAM, BOT_TOKEN)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {
            "DATABASE_URL": database.url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.url,
        }
        bot = await spawn_run(env)
        base = f"http://127.0.0.1:{port}"
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        acks: list[float] = []
        errors = 0
        try:
            await wait_healthy(http, base)

            async def post(body: str) -> bool:
                headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
                async with http.post(f"{base}/slack/events", data=body, headers=headers) as r:
                    await r.read()
                    return r.status == 200

            arrived = fake.expect_response("card")
            body = command_body("/compare", f"{FIRST} vs {SECOND}", fake.response_url("card"))
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            async with http.post(f"{base}/slack/events", data=body, headers=headers) as r:
                ack = await r.json(content_type=None) if await r.read() else {}
            if ack.get("blocks"):
                # Answered in the ack: Slack posts it in the channel like a response_url answer.
                arrived.cancel()
                fake.acked("card", ack)
                blocks = ack["blocks"]
            else:
                blocks = (await asyncio.wait_for(arrived, 5)).payload["blocks"]
            channel, ts = fake.url_message["card"]
            votes = [
                e
                for b in blocks
                if b["type"] == "actions"
                for e in b["elements"]
                if e["action_id"].startswith("sos:vote:")
            ]
            rng = random.Random(5)

            async def user(n: int) -> None:
                nonlocal errors
                await asyncio.sleep(rng.uniform(0, SPREAD_S))
                button = rng.choice(votes)
                body = action_body(
                    button["action_id"],
                    button["value"],
                    fake.response_url(f"h{n}", channel, ts),
                    user=f"UH{n:04d}",
                    message_ts=ts,
                )
                started = time.perf_counter()
                ok = await post(body)
                acks.append(time.perf_counter() - started)
                errors += not ok

            await asyncio.gather(*(user(n) for n in range(USERS)))
            _, first_id, second_id = (int(x) for x in votes[0]["value"].split(":"))
            correct = await _settle(
                lambda: community(fake.message(channel, ts)),
                lambda: _truth(database, (first_id, second_id)),
            )
            confirmed = {c.payload.get("user") for c in fake.named("chat.postEphemeral")}
            confirmed |= {
                c.payload["_key"]
                for c in fake.named("response_url")
                if c.payload.get("response_type") == "ephemeral"
            }
            errors += USERS - len(confirmed)
            updates = fake.edits.get((channel, ts), 0)
        finally:
            await http.close()
            bot.terminate()
            _, stderr = await bot.communicate()
            await fake.stop()
        errors += stderr.decode().count("Traceback") + len(fake.problems)
        rows.extend(_rows("slack", backend, acks, updates, correct, errors))


async def _discord(backend: str, rows: list[dict[str, Any]]) -> None:
    async with bench_database(backend) as database:
        fake = FakeDiscord()
        await fake.start()
        env = {
            **os.environ,
            **fake.env(),
            "DATABASE_URL": database.url,
            "HTTP_PORT": "0",
            "LOG_LEVEL": "WARNING",
        }
        bot = await spawn_run(env)
        acks: list[float] = []
        errors = 0
        try:
            await fake.wait_identified(1, within_s=60)
            command = slash("compare", first=FIRST, second=SECOND)
            answered = fake.expect(lambda c: c.path.startswith(f"/interactions/{command['id']}/"))
            await fake.dispatch_interaction(command)
            body = (await asyncio.wait_for(answered, 5)).body
            message_id = fake.original[command["token"]]
            card = fake.messages[message_id] | {"components": body["data"]["components"]}
            votes = [i for i in custom_ids(card) if i.startswith("sos:v:")]
            rng = random.Random(5)
            followups = 0

            async def user(n: int) -> None:
                nonlocal errors, followups
                await asyncio.sleep(rng.uniform(0, SPREAD_S))
                interaction = click(rng.choice(votes), card, user_id=str(770000000000000000 + n))
                prefix = f"/interactions/{interaction['id']}/"
                token = interaction["token"]
                acked = fake.expect(lambda c: c.path.startswith(prefix))
                confirmed = fake.expect(
                    lambda c: (
                        c.method == "POST" and c.path.startswith("/webhooks/") and token in c.path
                    )
                )
                started = time.perf_counter()
                await fake.dispatch_interaction(interaction)
                try:
                    call = await asyncio.wait_for(acked, 3.0)
                    acks.append(call.at - started)
                    kind = call.body["type"]
                    if kind == 4:
                        # The card is being redrawn by another click: the answer is the
                        # private confirmation itself.
                        confirmed.cancel()
                        message = call.body["data"]
                    else:
                        # The redrawn card (7) or a deferral (6), then a followup.
                        errors += kind not in (6, 7)
                        message = (await asyncio.wait_for(confirmed, 10.0)).body
                    followups += bool(int(message.get("flags") or 0) & 64)
                except TimeoutError:
                    errors += 1

            await asyncio.gather(*(user(n) for n in range(USERS)))

            def shown() -> list[str]:
                embeds = fake.messages[message_id]["embeds"]
                return [
                    f["value"] for e in embeds[1:] for f in e["fields"] if f["name"] == "Community"
                ]

            first_id, second_id = (int(x) for x in votes[0].split(":")[4:6])
            correct = await _settle(shown, lambda: _truth(database, (first_id, second_id)))
            errors += USERS - followups
            updates = fake.edits.get(message_id, 0)
        finally:
            bot.terminate()
            _, stderr = await bot.communicate()
            await fake.stop()
        errors += stderr.decode().count("Traceback")
        rows.extend(_rows("discord", backend, acks, updates, correct, errors))


async def run(rows: list[dict[str, Any]]) -> None:
    for backend in ("sqlite", "postgresql"):
        await _slack(backend, rows)
        await _discord(backend, rows)
