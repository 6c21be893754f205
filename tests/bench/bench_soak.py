"""Mixed soak: one `shiporskip run` (PostgreSQL, Discord, Slack, SMTP) under a steady load
of Discord and Slack commands and clicks while the weekly digest goes out.

Reports throughput, p99 per platform, errors, and the bot's RSS after warm-up and at the
end (it must stay flat). BENCH_SOAK_S sets the length (default 600 s, as the issue asks).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import time
from typing import Any

import aiohttp

from tests.bench.support import bench_database, percentile, row, rss_mb
from tests.digest.smtp_sink import SmtpSink
from tests.discord.checks import custom_ids
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import click, slash
from tests.ops.process import free_port, spawn_run
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, action_body, command_body, sign

SOAK_S = float(os.environ.get("BENCH_SOAK_S", "600"))
RATE_PER_PLATFORM = 15.0  # requests per second on each platform: a busy community
WARM_UP_S = 30.0
SMTP_RATE = 20
# As many as the digest can deliver at SMTP_RATE well within the run.
SUBSCRIBERS = min(3_000, int(SMTP_RATE * (SOAK_S + WARM_UP_S) * 0.8))
TIMEOUT_S = 3.0
BOT_TOKEN = "xoxb-soak"
RSS_GROWTH_LIMIT_MB = 15.0


class Soak:
    def __init__(
        self,
        discord: FakeDiscord,
        slack: FakeSlack,
        http: aiohttp.ClientSession,
        base: str,
        tools: list[str],
    ) -> None:
        self.discord, self.slack, self.http, self.base, self.tools = (
            discord,
            slack,
            http,
            base,
            tools,
        )
        self.rng = random.Random(5)
        self.latency: dict[str, list[float]] = {"discord": [], "slack": []}
        self.errors = 0
        self.done = 0
        self.ids = itertools.count()
        self.discord_card: dict[str, Any] | None = None
        self.slack_card: list[dict[str, Any]] | None = None

    async def discord_once(self) -> None:
        n = next(self.ids)
        user = str(770000000000000000 + n % 500)
        card = self.discord_card
        if n % 2 and card is not None:
            votes = [i for i in custom_ids(card) if i.startswith("sos:v:")]
            interaction = click(
                self.rng.choice(votes), {**card, "id": "1", "author": {}}, user_id=user
            )
        else:
            first, second = self.rng.sample(self.tools, 2)
            interaction = slash("compare", first=first, second=second, user_id=user)
        prefix = f"/interactions/{interaction['id']}/"
        answered = self.discord.expect(lambda c: c.path.startswith(prefix))
        started = time.perf_counter()
        await self.discord.dispatch_interaction(interaction)
        try:
            call = await asyncio.wait_for(answered, TIMEOUT_S)
        except TimeoutError:
            self.errors += 1
            return
        self.latency["discord"].append(call.at - started)
        if call.body.get("type") == 4 and call.body["data"].get("components"):
            self.discord_card = call.body["data"]
        self.done += 1

    async def slack_once(self) -> None:
        n = next(self.ids)
        user = f"U{n % 500:05d}"
        key = f"k{n}"
        url = self.slack.response_url(key)
        blocks = self.slack_card
        if n % 2 and blocks is not None:
            buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
            votes = [b for b in buttons if b["action_id"].startswith("sos:vote:")]
            button = self.rng.choice(votes)
            body = action_body(
                button["action_id"], button["value"], url, user=user, message_blocks=blocks
            )
        else:
            first, second = self.rng.sample(self.tools, 2)
            body = command_body("/compare", f'"{first}" vs "{second}"', url, user=user)
        arrived = self.slack.expect_response(key)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        started = time.perf_counter()
        try:
            async with self.http.post(f"{self.base}/slack/events", data=body, headers=headers) as r:
                raw = await r.read()
                if r.status != 200:
                    self.errors += 1
                    return
            inline = json.loads(raw) if raw.startswith(b"{") else {}
            if inline.get("blocks"):
                # A card ready in time travels in the ack itself.
                arrived.cancel()
                call = Call("ack", inline, None)
            else:
                call = await asyncio.wait_for(arrived, TIMEOUT_S)
        except (TimeoutError, aiohttp.ClientError):
            self.errors += 1
            return
        self.latency["slack"].append(call.at - started)
        if call.payload.get("response_type") == "in_channel" and call.payload.get("blocks"):
            self.slack_card = call.payload["blocks"]
        self.done += 1

    async def steady(self, seconds: float) -> None:
        """Open loop: requests start on schedule whether or not earlier ones finished."""
        interval = 1.0 / RATE_PER_PLATFORM
        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        tick = 0
        while time.perf_counter() - start < seconds:
            for make in (self.discord_once, self.slack_once):
                task = asyncio.create_task(make())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            tick += 1
            await asyncio.sleep(max(0.0, start + tick * interval - time.perf_counter()))
        await asyncio.gather(*tasks)


async def run(rows: list[dict[str, Any]]) -> None:
    async with bench_database("postgresql") as database:
        from tests.digest.conftest import add_subscribers

        await add_subscribers(database, SUBSCRIBERS)
        discord, slack, sink = FakeDiscord(), FakeSlack(), SmtpSink()
        await discord.start()
        await slack.start()
        slack.add_workspace(TEAM, BOT_TOKEN)
        await sink.start()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {
            "DATABASE_URL": database.url,
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
            **discord.env(),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "SMTP_URL": sink.url,
            "MAIL_POSTAL_ADDRESS": "1 Test Street, Testville",
            "SMTP_RATE": str(SMTP_RATE),
            "DIGEST_CRON": "* * * * *",
            "PUBLIC_URL": "https://sos.example",
        }
        bot = await spawn_run(env)
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            await discord.wait_identified(1, within_s=60)
            from bot.core.tool_index import ToolIndex

            index = ToolIndex()
            await index.refresh(database, force=True)
            soak = Soak(
                discord, slack, http, f"http://127.0.0.1:{port}", [t.name for t in index.tools]
            )
            await soak.steady(WARM_UP_S)
            rss_start = rss_mb(bot.pid)
            soak.latency = {"discord": [], "slack": []}
            soak.errors = soak.done = 0
            started = time.perf_counter()
            await soak.steady(SOAK_S)
            elapsed = time.perf_counter() - started
            rss_end = rss_mb(bot.pid)
        finally:
            await http.close()
            bot.terminate()
            _, stderr = await bot.communicate()
            await sink.stop()
            await slack.stop()
            await discord.stop()
        tracebacks = stderr.decode().count("Traceback")
        emails = len(sink.messages)
    errors = soak.errors + tracebacks + len(slack.problems)
    area = f"soak {SOAK_S / 60:.0f} min"
    rows.append(
        row(
            area,
            "throughput (Discord + Slack)",
            "postgresql",
            soak.done / elapsed,
            "/s",
            f"{2 * RATE_PER_PLATFORM:.0f}/s offered",
            True,
        )
    )
    for platform, samples in soak.latency.items():
        p99 = percentile([s * 1000 for s in samples], 99)
        rows.append(
            row(
                area,
                f"{platform} p99 ({len(samples):,} requests)",
                "postgresql",
                p99,
                "ms",
                "-",
                True,
            )
        )
    rows.append(
        row(
            area,
            "errors (no answer within 3 s, tracebacks)",
            "postgresql",
            errors,
            "",
            "0",
            errors == 0,
        )
    )
    rows.append(
        row(
            area,
            "digest emails delivered meanwhile",
            "postgresql",
            emails,
            "",
            f"{SUBSCRIBERS:,}",
            emails == SUBSCRIBERS,
        )
    )
    rows.append(row(area, "bot RSS after warm-up", "postgresql", rss_start, "MB", "-", True))
    growth = rss_end - rss_start
    rows.append(
        row(
            area,
            "bot RSS at the end",
            "postgresql",
            rss_end,
            "MB",
            f"flat (+< {RSS_GROWTH_LIMIT_MB:.0f} MB)",
            growth < RSS_GROWTH_LIMIT_MB,
        )
    )
