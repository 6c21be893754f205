"""Command sync on change only, the sync CLI, sharding, resume, and the digest poster."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.service import CommandService
from bot.core.views import DigestItem, DigestPost, DigestSection
from bot.runner import Runtime, enabled_parts
from db.engine import Database
from db.models import AppState
from tests import postgres
from tests.conftest import DatabaseTarget
from tests.discord.checks import assert_no_pings, assert_within_limits
from tests.discord.conftest import Bot, discord_settings
from tests.discord.fake_discord import APP_ID, GUILD_ID, FakeDiscord


def _syncs(fake: FakeDiscord) -> list[str]:
    return [c.path for c in fake.calls if c.method == "PUT"]


async def test_run_syncs_only_when_commands_changed(bot: Bot) -> None:
    assert _syncs(bot.fake) == [f"/applications/{APP_ID}/commands"]
    names = {c["name"] for c in bot.fake.commands["global"]}
    assert names == {
        "compare",
        "vote",
        "bookmark",
        "bookmarks",
        "tool",
        "help",
        "subscribe",
        "link",
        "unlink",
        "digest",
    }
    link = next(c for c in bot.fake.commands["global"] if c["name"] == "link")
    # One optional string option named code (Discord option type 3 is a string).
    assert [(o["name"], o["type"], o.get("required", False)) for o in link["options"]] == [
        ("code", 3, False)
    ]
    compare = next(c for c in bot.fake.commands["global"] if c["name"] == "compare")
    assert [o.get("autocomplete") for o in compare["options"]] == [True, True]
    await bot.stop()
    await bot.start()
    assert len(_syncs(bot.fake)) == 1, "a restart with the same commands must not sync again"
    async with bot.runtime.database.write() as session:
        row = await session.get(AppState, "discord.commands_hash.global")
        assert row is not None
        row.value = "stale"
    await bot.stop()
    await bot.start()
    assert len(_syncs(bot.fake)) == 2


async def test_gateway_handshake_and_resume(bot: Bot) -> None:
    """IDENTIFY carries the token and intents; a dropped socket is resumed."""
    identify = bot.fake.identifies[0]
    assert identify["shard"] == [0, 1] and identify["intents"] == 1
    await bot.fake.drop_connections()
    for _ in range(500):
        if bot.fake.resumes and any(s.identified.is_set() for s in bot.fake.sessions):
            break
        await asyncio.sleep(0.02)
    assert bot.fake.resumes and bot.fake.resumes[0]["token"] == "fake-bot-token"


async def test_shards_split_by_settings(
    fake: FakeDiscord, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DISCORD_SHARD_COUNT/IDS: this process identifies only the shards it was given."""
    settings = discord_settings(fake, monkeypatch, DISCORD_SHARD_COUNT="3", DISCORD_SHARD_IDS="0,2")
    running = Bot(fake, Runtime(settings, demo_database, CommandService(demo_database)))
    part = enabled_parts(settings, console=False)["discord"]
    running.task = asyncio.create_task(part(running.runtime))
    try:
        await fake.wait_identified(2)
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 3], [2, 3]]
    finally:
        await running.stop()


async def test_digest_poster_posts_an_embed_without_pings(bot: Bot) -> None:
    for _ in range(200):
        if "discord" in bot.runtime.posters:
            break
        await asyncio.sleep(0.01)
    poster = bot.runtime.posters["discord"]
    post = DigestPost(
        week="2025-W02",
        title="This week: @everyone ships",
        intro="Three new verdicts.",
        sections=(DigestSection("New", (DigestItem("Tool *X*", "ship 4/0", "https://x.test/"),)),),
        archive_url="https://shiporskip.test/digest/2025-W02",
    )
    posted = bot.fake.expect(lambda c: c.path == "/channels/123456789012345678/messages")
    await poster.post_digest(str(GUILD_ID), "123456789012345678", post)
    body = (await asyncio.wait_for(posted, 10)).body
    assert_no_pings(body)
    assert_within_limits(body)
    assert "@everyone" not in body["embeds"][0]["title"]


@pytest.fixture
async def whole_database(db_target: DatabaseTarget) -> AsyncIterator[str]:
    """A database URL a subprocess can use (PostgreSQL: a database of its own)."""
    if db_target.backend == "sqlite":
        yield db_target.url
        return
    name = await postgres.create_database()
    yield postgres.pg_url(name)
    await postgres.drop_database(name)


async def test_sync_cli_registers_commands_in_a_guild(
    fake: FakeDiscord, whole_database: str
) -> None:
    env = {**os.environ, **fake.env(), "DATABASE_URL": whole_database}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "shiporskip"),
        "discord",
        "sync",
        "--guild",
        str(GUILD_ID),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert f"synced 10 commands guild {GUILD_ID}" in out.decode()
    assert _syncs(fake) == [f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"]
    database = Database(whole_database)
    try:
        async with database.read() as session:
            keys = (await session.scalars(select(AppState.key))).all()
    finally:
        await database.dispose()
    assert f"discord.commands_hash.{GUILD_ID}" in keys
