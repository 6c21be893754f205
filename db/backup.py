"""Online backup and restore of the SQLite database (PostgreSQL: use pg_dump, see README)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from db.private_files import create_private


class BackupError(Exception):
    """A clear reason the backup or restore could not be done; nothing was changed."""


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            "backup and restore are for SQLite; for PostgreSQL use pg_dump and pg_restore "
            "(see README, 'Backups')."
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file.")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy the live database to ``target`` with SQLite's backup API (consistent while in use).

    Returns the number of pages copied.
    """
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    # The copy holds every address: 0600 before SQLite writes a byte, in a 0700 folder.
    create_private(target, exclusive=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
    finally:
        destination.close()
        source.close()
    return pages


def restore(url: str, backup_file: Path) -> None:
    """Replace the live database's content with ``backup_file`` after checking it."""
    target_path = sqlite_path(url)
    if not backup_file.exists():
        raise BackupError(f"no backup at {backup_file}")
    try:
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup_file} is not a SQLite database: {exc}") from None
    if check != "ok":
        source.close()
        raise BackupError(f"{backup_file} failed its integrity check: {check}")
    if not {"alembic_version", "tools", "votes"} <= tables:
        source.close()
        raise BackupError(f"{backup_file} is not a Ship or Skip database")
    destination = sqlite3.connect(target_path, timeout=30)
    try:
        # The backup API writes under SQLite's own lock, so other connections see either
        # the old or the new database, never a mix.
        source.backup(destination)
    finally:
        destination.close()
        source.close()
