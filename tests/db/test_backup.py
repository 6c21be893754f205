"""SQLite backup and restore: a consistent copy while writing, checked restores."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import DEMO_CATALOG
from bot.core.context import CommandContext
from bot.core.service import CommandService
from db.backup import BackupError, backup, restore
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from db.models import Vote


async def test_backup_while_voting_then_restore(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    database = Database(url)
    await upgrade(database)
    await import_catalog(database, DEMO_CATALOG)
    service = CommandService(database)
    for i in range(20):
        await service.vote(CommandContext("console", "w", f"u{i}"), "cursor", "ship")

    async def more_votes() -> None:
        for i in range(20, 60):
            await service.vote(CommandContext("console", "w", f"u{i}"), "cursor", "skip")

    voting = asyncio.create_task(more_votes())
    await asyncio.sleep(0)
    pages = await asyncio.to_thread(backup, url, tmp_path / "copy.db")
    await voting
    assert pages > 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = copy.execute("SELECT count(*) FROM votes").fetchone()[0]
    copy.close()
    assert 20 <= saved <= 60
    await database.dispose()

    restore(url, tmp_path / "copy.db")
    database = Database(url)
    async with database.read() as session:
        assert await session.scalar(select(func.count(Vote.id))) == saved
    await database.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    (tmp_path / "live.db").write_bytes(b"")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        restore(url, junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(BackupError, match="not a Ship or Skip database"):
        restore(url, other)


def test_backup_explains_postgres_and_existing_targets(tmp_path: Path):
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+asyncpg://x@127.0.0.1/db", tmp_path / "b.db")
    (tmp_path / "live.db").write_bytes(b"")
    (tmp_path / "taken.db").write_bytes(b"")
    with pytest.raises(BackupError, match="exists"):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", tmp_path / "taken.db")
