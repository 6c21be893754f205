"""`shiporskip run` killed with SIGKILL mid-way through the digest's Discord channel posts,
then started again on the same database: every opted-in channel ends with exactly one post.

The kill lands while one post is in flight (its request reached Discord, the answer had not
come back), so that channel's row is left ``claimed``. The second run takes the claim over
once DIGEST_CHANNEL_POST_LEASE_S has passed and re-posts it with the same nonce; Discord's
``enforce_nonce`` returns the first message, so the channel still shows one post.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp

from db.engine import Database
from db.queries.channel_posts import post_counts
from db.queries.channels import set_channel_digest
from digest.issues import find_issue, list_issues
from tests import postgres
from tests.conftest import DatabaseTarget
from tests.discord.fake_discord import GUILD_ID, Call, FakeDiscord
from tests.ops.process import clean_env, free_port, spawn_run, wait_healthy
from tests.ops.test_one_sender import fresh_database

CHANNELS = [str(810_000_000_000_000_100 + n) for n in range(30)]
DELAY_S = 0.3  # each channel POST answered this late: ~10 s of posting for 30 channels
KILL_AFTER = 8  # posted channels before the kill
LEASE_S = 2  # a dead run's claim is taken over after this (production default: 300)
WITHIN_S = 120.0  # generous: the restarted run may wait a retry round or a cron minute


def posted(fake: FakeDiscord) -> Counter[str]:
    """Digest messages the fake stores, per channel (nonce repeats are not stored twice)."""
    return Counter(m["channel_id"] for m in fake.messages.values())


def text(log: Path) -> str:
    return log.read_text(errors="replace")


async def until(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WITHIN_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WITHIN_S:.0f} s: {what}\n{text(log)}")
        await asyncio.sleep(0.05)


async def until_recorded(database: Database, expected: dict[tuple[str, str], int]) -> None:
    """Until the database shows ``expected`` (the run records each post after its answer)."""
    deadline = time.monotonic() + WITHIN_S
    while True:
        done = await statuses(database)
        if done == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"channel posts {done}, not {expected}")
        await asyncio.sleep(0.1)


async def statuses(database: Database) -> dict[tuple[str, str], int]:
    headings = await list_issues(database)
    assert len(headings) == 1, headings
    issue = await find_issue(database, headings[0].week)
    assert issue is not None
    async with database.read() as session:
        return await post_counts(session, issue.id)


def is_channel_post(call: Call) -> bool:
    return call.method == "POST" and call.path.startswith("/channels/")


async def test_sigkill_mid_posting_leaves_no_channel_twice_and_none_skipped(
    db_target: DatabaseTarget, demo_database: Database, tmp_path: Path
) -> None:
    url, database, name = await fresh_database(db_target, demo_database)
    async with database.write() as session:
        for channel in CHANNELS:
            await set_channel_digest(session, "discord", str(GUILD_ID), channel, "1", enable=True)
    fake = FakeDiscord()
    await fake.start()
    fake.message_delay_s = DELAY_S
    port = free_port()
    env = clean_env(
        DATABASE_URL=url,
        HTTP_PORT=str(port),
        # Every minute: at start-up the minute just passed counts as missed, so it runs now.
        DIGEST_CRON="* * * * *",
        DIGEST_CHANNEL_POST_LEASE_S=str(LEASE_S),
        PUBLIC_URL="https://sos.example",
        OUTBOX_DIR=str(tmp_path / "outbox"),
        HOME=str(tmp_path),
        **fake.env(),
    )
    base = f"http://127.0.0.1:{port}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with aiohttp.ClientSession() as http:
            with first_log.open("w") as out:
                first = await spawn_run(env, stdout=out, stderr=asyncio.subprocess.STDOUT)
            processes.append(first)
            await wait_healthy(http, base, within_s=60)
            await until(lambda: len(posted(fake)) >= KILL_AFTER, "first posts", first_log)
            # Kill the moment the next post reaches Discord: it is in flight, its row claimed.
            in_flight = await asyncio.wait_for(fake.expect(is_channel_post), WITHIN_S)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            at_kill = posted(fake)
            assert 1 <= len(at_kill) <= len(CHANNELS) - 1, (len(at_kill), text(first_log))
            assert in_flight.path.split("/")[2] not in at_kill
            done = await statuses(database)
            assert done.get(("discord", "claimed")) == 1, done  # the post in flight, in doubt

            with second_log.open("w") as out:
                second = await spawn_run(env, stdout=out, stderr=asyncio.subprocess.STDOUT)
            processes.append(second)
            await wait_healthy(http, base, within_s=60)
            await until(lambda: len(posted(fake)) == len(CHANNELS), "every channel", second_log)

            await until_recorded(database, {("discord", "posted"): len(CHANNELS)})
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
            assert second.returncode == 0, text(second_log)

        # Exactly one digest message in every channel: none skipped, none twice.
        assert posted(fake) == Counter(dict.fromkeys(CHANNELS, 1))
        # The in-flight post was sent again after the restart and Discord matched its nonce.
        resent = [c for c in fake.calls if c.path == in_flight.path and c.method == "POST"]
        assert len(resent) == 2, resent
        assert resent[0].body["nonce"] == resent[1].body["nonce"]
        assert resent[1].body["enforce_nonce"] is True
        assert fake.nonce_repeats == 1
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await fake.stop()
        if name is not None:
            await database.dispose()
            await postgres.drop_database(name)
