"""db.schema_version: the expected revision, known without Alembic, and the start-up that
leaves Alembic unloaded when the database is already there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from db.engine import Database
from db.migrate import head_revision, upgrade
from db.schema_version import HEAD, at_head


def test_head_is_the_newest_migration() -> None:
    assert head_revision() == HEAD, "a migration was added: set db.schema_version.HEAD to it"


async def test_at_head_only_once_migrated_to_the_end(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    try:
        assert not await at_head(database)  # no schema at all
        await upgrade(database, "0001")
        assert not await at_head(database)  # behind
        await upgrade(database)
        assert await at_head(database)
    finally:
        await database.dispose()


async def test_at_head_on_both_databases(database: Database) -> None:
    assert await at_head(database)  # the fixture's database is migrated


_START = """
import asyncio, sys
from bot.bootstrap import prepare_database

async def main():
    database = await prepare_database(sys.argv[1], demo=True)
    await database.dispose()

asyncio.run(main())
print("alembic loaded" if "alembic" in sys.modules else "alembic not loaded")
"""


def test_a_start_on_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 's.db'}"

    def start() -> str:
        done = subprocess.run(
            [sys.executable, "-c", _START, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=tmp_path,
        )
        return done.stdout.strip()

    assert start() == "alembic loaded"  # a new database is migrated
    assert start() == "alembic not loaded"  # then it is current
