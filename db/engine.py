"""Engine and sessions for SQLite (embedded default) and PostgreSQL (shared).

SQLite allows one writer at a time. Writers take ``BEGIN IMMEDIATE`` so that a
transaction never has to upgrade a read lock (which fails at once instead of
waiting), and writers in this process queue on an asyncio lock rather than on
SQLite's sleeping busy handler, which would cost up to 100 ms per collision.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.private_files import FILE_MODE, create_private

SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class Database:
    """One engine plus session factories; owned by the entry point."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 20, schema: str | None = None
    ) -> None:
        """``schema`` (PostgreSQL only) sets the search path, so tests can share one database."""
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        in_memory = parsed.database in (None, "", ":memory:")
        if self.is_sqlite and not in_memory:
            # A fixed set of connections: overflow ones would be opened and closed under
            # load, each with its own thread and PRAGMAs.
            kwargs.update(pool_size=pool_size, max_overflow=0, pool_timeout=30)
        elif not self.is_sqlite:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            if not in_memory and parsed.database:
                _private_sqlite_file(Path(parsed.database))
            _configure_sqlite(self.engine)
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; nothing it does is committed."""
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on error."""
        lock: AbstractAsyncContextManager[Any] = self._write_lock or nullcontext()
        async with lock, self._writer() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _private_sqlite_file(path: Path) -> None:
    """The database file exists as 0600 before SQLite opens it.

    SQLite gives the -wal and -shm files the database file's mode, so they follow.
    Side files left by an older, looser run are tightened too.
    """
    if str(path).startswith("file:") or not path.parent.is_dir():
        return  # a URI filename, or no folder: SQLite will say what is wrong
    create_private(path, make_parents=False)
    for suffix in _SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.chmod(FILE_MODE)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so we can choose the BEGIN mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
