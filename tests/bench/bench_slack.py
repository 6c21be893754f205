"""Slack benchmark: 200 simulated users send signed /compare and click Ship/Skip.

The bot runs as ``shiporskip run`` in a subprocess (HTTP mode, one workspace) against
the fake Slack. Two latencies per request: to the HTTP ack, and to the card (or the
redrawn card after a click) arriving at the fake's response_url.

Users pause 1-3 s between actions (~100 requests/s in all); at 0.3-1.2 s (~230/s) the
bot saturates on the core's database work and p99s grow to 0.5-1.5 s.
``BENCH_TIMELINE=1`` prints per-second counts and latencies.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from typing import Any

import aiohttp

from tests.bench.support import bench_database, percentile, row
from tests.ops.process import free_port, spawn_run, wait_healthy
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, action_body, command_body, sign

USERS = 200
ROUNDS = 4  # each: one /compare, one click
THINK_S = (1.0, 3.0)  # a brisk human pace: ~100 requests/s from 200 users
TIMEOUT_S = 3.0  # Slack's ack window
ACK_P99_MS = 50.0
CARD_P99_MS = 100.0
BOT_TOKEN = "xoxb-bench-token"
WARM_UP = 20


async def _warm_up(
    fake: FakeSlack, http: aiohttp.ClientSession, base: str, tools: list[str]
) -> None:
    """A few unmeasured comparisons so cold caches (query compilation) don't count."""
    for n in range(WARM_UP):
        key = f"warm{n}"
        arrived = fake.expect_response(key)
        text = f'"{tools[n % len(tools)]}" vs "{tools[(n + 1) % len(tools)]}"'
        body = command_body("/compare", text, fake.response_url(key), user="UWARM")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
            raw = await response.read()
        if b'"blocks"' not in raw:  # not answered in the ack: at the response_url
            await asyncio.wait_for(arrived, TIMEOUT_S)


async def _load(
    fake: FakeSlack, http: aiohttp.ClientSession, base: str, tools: list[str]
) -> tuple[list[float], list[float], int]:
    acks: list[float] = []
    cards: list[float] = []
    errors = 0
    rng = random.Random(11)
    counter = iter(range(10**9))
    timeline: list[tuple[float, float]] = []

    async def send(body: str, key: str, edit: asyncio.Future[float] | None = None) -> Call | None:
        nonlocal errors
        arrived = fake.expect_response(key)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        started = time.perf_counter()
        try:
            async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
                raw = await response.read()
                acked = time.perf_counter()
                if response.status != 200:
                    errors += 1
                    return None
            acks.append(acked - started)
            if edit is not None:
                # A click: the card is redrawn in place (chat.update), not via response_url.
                arrived.cancel()
                at = await asyncio.wait_for(edit, TIMEOUT_S)
                cards.append(at - started)
                timeline.append((started, at - started))
                return None
            inline = json.loads(raw) if raw.startswith(b"{") else {}
            if inline.get("blocks"):
                # A card ready in time travels in the ack itself.
                arrived.cancel()
                fake.acked(key, inline)
                call = Call("ack", inline | {"_key": key}, None, acked)
            else:
                call = await asyncio.wait_for(arrived, TIMEOUT_S)
        except (TimeoutError, aiohttp.ClientError):
            errors += 1
            return None
        cards.append(call.at - started)
        timeline.append((started, call.at - started))
        return call

    async def user(n: int) -> None:
        nonlocal errors
        user_id = f"U{n:06d}"
        await asyncio.sleep(rng.uniform(0, THINK_S[1]))
        for _ in range(ROUNDS):
            first, second = rng.sample(tools, 2)
            key = f"c{next(counter)}"
            text = f'"{first}" vs "{second}"'
            card = await send(
                command_body("/compare", text, fake.response_url(key), user=user_id), key
            )
            if card is None:
                continue
            buttons = [
                e
                for b in card.payload.get("blocks", [])
                if b["type"] == "actions"
                for e in b["elements"]
            ]
            votes = [b for b in buttons if b["action_id"].startswith("sos:vote:")]
            if card.payload.get("response_type") != "in_channel" or not votes:
                errors += 1
                continue
            await asyncio.sleep(rng.uniform(*THINK_S))
            button = rng.choice(votes)
            key = f"a{next(counter)}"
            channel, ts = fake.url_message[card.payload["_key"]]
            body = action_body(
                button["action_id"],
                button["value"],
                fake.response_url(key, channel, ts),
                user=user_id,
                message_blocks=card.payload["blocks"],
                message_ts=ts,
            )
            await send(body, key, fake.expect_edit(channel, ts))
            await asyncio.sleep(rng.uniform(*THINK_S))

    await asyncio.gather(*(user(n) for n in range(USERS)))
    if os.environ.get("BENCH_TIMELINE"):
        t0 = min(t for t, _ in timeline)
        for second in range(int(max(t for t, _ in timeline) - t0) + 1):
            window = [lat * 1000 for t, lat in timeline if int(t - t0) == second]
            if window:
                print(second, len(window), round(percentile(window, 50)), round(max(window)))
    return acks, cards, errors


async def _bench(backend: str, rows: list[dict[str, Any]]) -> None:
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
        connector = aiohttp.TCPConnector(limit=0)
        http = aiohttp.ClientSession(connector=connector)
        try:
            await wait_healthy(http, base)
            from bot.core.tool_index import ToolIndex

            index = ToolIndex()
            await index.refresh(database, force=True)
            tools = [t.name for t in index.tools]
            started = time.perf_counter()
            await _warm_up(fake, http, base, tools)
            acks, cards, errors = await _load(fake, http, base, tools)
            elapsed = time.perf_counter() - started
        finally:
            await http.close()
            bot.terminate()
            _, stderr = await bot.communicate()
            await fake.stop()
        if os.environ.get("BENCH_DEBUG"):
            print(stderr.decode()[-3000:], fake.problems[:5])
        errors += stderr.decode().count("Traceback") + len(fake.problems)
        ack_ms = [s * 1000 for s in acks]
        card_ms = [s * 1000 for s in cards]
        ack99, card99 = percentile(ack_ms, 99), percentile(card_ms, 99)
        rows.append(
            row("slack", "request→HTTP ack p50", backend, percentile(ack_ms, 50), "ms", "-", True)
        )
        rows.append(
            row(
                "slack",
                "request→HTTP ack p99",
                backend,
                ack99,
                "ms",
                f"< {ACK_P99_MS:.0f} ms",
                ack99 < ACK_P99_MS,
            )
        )
        rows.append(
            row(
                "slack",
                "request→card at Slack p50",
                backend,
                percentile(card_ms, 50),
                "ms",
                "-",
                True,
            )
        )
        rows.append(
            row(
                "slack",
                "request→card at Slack p99",
                backend,
                card99,
                "ms",
                f"< {CARD_P99_MS:.0f} ms",
                card99 < CARD_P99_MS,
            )
        )
        rows.append(
            row(
                "slack",
                f"errors ({len(acks):,} requests, {elapsed:.0f} s)",
                backend,
                errors,
                "",
                "0",
                errors == 0,
            )
        )


async def run(rows: list[dict[str, Any]]) -> None:
    for backend in ("sqlite", "postgresql"):
        await _bench(backend, rows)
