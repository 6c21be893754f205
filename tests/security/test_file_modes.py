"""The attack: another local user reads the database, a backup or an outbox .eml.

Even under a permissive umask, every file holding people's data is created 0600 and
every folder we create for it 0700.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.backup import backup
from db.engine import Database
from db.migrate import upgrade
from digest.message import Outgoing
from digest.senders import OutboxSender


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o000)
    yield
    os.umask(old)


async def test_sqlite_file_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(database)
        async with database.read() as session:  # WAL mode keeps -wal and -shm while open
            from sqlalchemy import text

            await session.execute(text("SELECT 1"))
            sides = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            assert all(side.exists() for side in sides)
            assert [mode(p) for p in (path, *sides)] == [0o600, 0o600, 0o600]
    finally:
        await database.dispose()


async def test_existing_loose_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.dispose()
    assert mode(path) == 0o600


async def test_backup_file_and_its_new_folder_are_private(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    database = Database(url)
    await upgrade(database)
    await database.dispose()
    target = tmp_path / "backups" / "nightly" / "copy.db"
    backup(url, target)
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o700


async def test_outbox_eml_and_folder_are_private(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    sender = OutboxSender(outbox)
    outcome = await sender.send(
        Outgoing("from@example.com", "to@example.com", b"Subject: x\r\n\r\n")
    )
    files = list(outbox.glob("*.eml"))
    assert outcome.status == "sent" and len(files) == 1
    assert mode(files[0]) == 0o600 and mode(outbox) == 0o700
