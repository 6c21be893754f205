"""Engine and sessions for SQLite (embedded default) and PostgreSQL (shared).

SQLite allows one writer at a time. Writers take ``BEGIN IMMEDIATE`` so that a
transaction never has to upgrade a read lock (which fails at once instead of
waiting), and writers in this process queue on an asyncio lock rather than on
SQLite's sleeping busy handler, which would cost up to 100 ms per collision.

The hot path (votes, compare log, Slack replay keys, card claims, tallies) runs whole
transactions with ``run_write`` / ``run_read``: a plain function of a Core
``Connection``. On a SQLite file it runs on the sync driver, right on the event loop's
thread: its transactions are a few small statements against the page cache (WAL,
synchronous=NORMAL: a commit does not wait for the disk), cheaper than handing them to
a thread. A worker thread paid for the hand-over and, under load, for the GIL passed
back and forth on every statement (the sqlite3 module lets go of it around each step),
which made a vote wait tens of milliseconds on a busy loop. Through aiosqlite every
statement (cursor, execute, fetch, close) is a hand-over of its own, about 25 per vote.

The loop never waits on SQLite: its connections have no busy timeout, so when another
process holds the write lock the transaction goes to the writer thread (which waits
for it), and they never checkpoint (the writer thread does, every so many commits).
Writes asked for while one is running share the next transaction (group commit: one
BEGIN, one COMMIT). Elsewhere it runs in the async connection's greenlet (``run_sync``),
which on PostgreSQL is what asyncpg does anyway.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.util import greenlet_spawn

from db.batching import Batcher
from db.private_files import FILE_MODE, create_private

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# Threads reading a SQLite file on the sync driver (WAL: readers never wait for the writer).
SQLITE_READ_THREADS = 4
SQLITE_ASYNC_CONNECTIONS = 8
# The writer thread checkpoints the WAL after this many commits on the loop's connection
# (SQLite's own automatic checkpoint comes at about 1000 pages).
CHECKPOINT_EVERY = 200
# PostgreSQL: a pooled connection idle for longer is pinged before use (_ping_when_idle).
PING_IDLE_S = 1.0
P = ParamSpec("P")
R = TypeVar("R")
Work = Callable[Concatenate[Connection, P], R]
# What one function of a write group did: (True, its result) or (False, its exception).
Outcome = tuple[bool, Any]


class _NotOnTheLoop(Exception):
    """For a worker thread, nothing having run: another process holds SQLite's lock (the
    loop does not wait for it), or a write group failed and is to be rerun one by one (a
    lock taken between two reruns must not make a committed one run again)."""


class _SyncSqlite:
    """The same SQLite file on the sync driver: used right on the event loop, with one
    writer thread and a few reader threads for when the loop must not wait.

    Each thread keeps its connections for good: checking one out of the pool and back in
    (with its reset) for every transaction cost as much as a small transaction itself.
    """

    def __init__(self, url: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        # Connections are made in the pool's threads and closed from the closing one.
        self.engine: Engine = create_engine(
            sync_url,
            poolclass=NullPool,
            connect_args={"check_same_thread": False},
        )
        _configure_sqlite_sync(self.engine)
        self.writer_engine = self.engine.execution_options(sqlite_immediate=True)
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self.readers = ThreadPoolExecutor(SQLITE_READ_THREADS, thread_name_prefix="sqlite-reader")
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()
        self._commits_here = 0

    def _connection(self, engine: Engine, slot: str = "connection") -> Connection:
        """This thread's connection in ``slot``, opened on first use or after it was
        invalidated."""
        connection: Connection | None = getattr(self._local, slot, None)
        if connection is None or connection.closed or connection.invalidated:
            dead = connection
            connection = engine.connect()
            setattr(self._local, slot, connection)
            with self._opened_lock:
                if dead is not None:
                    # Closed now, not at dispose: a failing disk must not pile them up.
                    dead.close()
                    self._opened.remove(dead)
                self._opened.append(connection)
            if slot != "connection":
                _never_wait(connection)
        return connection

    def write_group(self, works: list[Callable[[Connection], Any]]) -> list[Outcome]:
        """All of them in one transaction (one BEGIN and COMMIT); when one raises, the
        transaction is rolled back and each runs again in its own, so the rest commit."""
        return _write_group(self._connection(self.writer_engine), works)

    def write_group_here(self, works: list[Callable[[Connection], Any]]) -> list[Outcome]:
        """``write_group`` on this thread's no-wait connection; raises ``_NotOnTheLoop``
        (having run nothing) while another process holds the write lock, or when the group
        failed and must be rerun one by one."""
        connection = self._connection(self.writer_engine, "here_writer")
        outcomes = _write_group(connection, works, no_wait=True)
        self._commits_here += 1
        if self._commits_here % CHECKPOINT_EVERY == 0:
            self.writer.submit(self._checkpoint)
        return outcomes

    def _checkpoint(self) -> None:
        # PASSIVE: copies what it can without waiting for (or blocking) anyone. Nobody
        # awaits it, so a failure (a full disk, say) is logged here; the next one retries.
        try:
            _driver(self._connection(self.engine)).execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("SQLite checkpoint failed: %s", exc)

    def read(self, work: Callable[[Connection], R]) -> R:
        return _read(self._connection(self.engine), work)

    def read_here(self, work: Callable[[Connection], R]) -> R:
        """``read`` on this thread's no-wait connection; raises ``_NotOnTheLoop`` if SQLite would
        have to wait (rare in WAL mode: while another connection recovers the log)."""
        return _read(self._connection(self.engine, "here_reader"), work, no_wait=True)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
        self.readers.shutdown(wait=True)
        with self._opened_lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self.engine.dispose()


def _driver(connection: Connection) -> sqlite3.Connection:
    return cast(sqlite3.Connection, connection.connection.driver_connection)


def _never_wait(connection: Connection) -> None:
    """No busy timeout (SQLITE_BUSY at once) and no automatic checkpoints."""
    driver = _driver(connection)
    driver.execute("PRAGMA busy_timeout=0")
    driver.execute("PRAGMA wal_autocheckpoint=0")


def _begin(connection: Connection, statement: str, *, no_wait: bool) -> None:
    """BEGIN straight on the driver (the begin listener then adds none); ``_NotOnTheLoop`` when
    ``no_wait`` and the database is locked."""
    driver = _driver(connection)
    try:
        driver.execute(statement)
    except sqlite3.OperationalError as exc:
        if no_wait and exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            raise _NotOnTheLoop from exc
        raise


def _write_group(
    connection: Connection, works: list[Callable[[Connection], Any]], *, no_wait: bool = False
) -> list[Outcome]:
    try:
        _begin(connection, "BEGIN IMMEDIATE", no_wait=no_wait)
        with connection.begin():
            return [(True, work(connection)) for work in works]
    except _NotOnTheLoop:
        raise
    except Exception as exc:
        if len(works) == 1:
            return [(False, exc)]
        if no_wait:
            raise _NotOnTheLoop from exc
    return [_write_group(connection, [work])[0] for work in works]


def _read(connection: Connection, work: Callable[[Connection], R], *, no_wait: bool = False) -> R:
    _begin(connection, "BEGIN", no_wait=no_wait)
    transaction = connection.begin()
    try:
        return work(connection)
    finally:
        transaction.rollback()


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
            # load, each with its own thread and PRAGMAs. Few: the hot path runs on the
            # sync driver's threads (run_write/run_read), and every connection keeps a
            # thread and a page cache of its own.
            kwargs.update(
                pool_size=min(pool_size, SQLITE_ASYNC_CONNECTIONS), max_overflow=0, pool_timeout=30
            )
        elif not self.is_sqlite:
            # Pinged only when idle (see _ping_when_idle), not by pool_pre_ping.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            if not in_memory and parsed.database:
                _private_sqlite_file(Path(parsed.database))
            _configure_sqlite(self.engine)
        else:
            _ping_when_idle(self.engine)
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        # PostgreSQL: statements that stand alone skip BEGIN and COMMIT (run_autocommit,
        # run_read). SQLite has no round trips to save; an in-memory database's reads
        # keep the plain engine.
        self._autocommit_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._sync = _SyncSqlite(url) if self.is_sqlite and not in_memory else None
        # Group commit: transactions asked for while the writer is busy run as one.
        self._write_groups: Batcher[Callable[[Connection], Any], Outcome] = Batcher(
            self._write_group, key=id
        )

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

    async def run_write(self, work: Work[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``work(connection, ...)`` in one write transaction: committed when it returns,
        rolled back when it raises. ``work`` is plain (sync) code on a Core connection."""
        if self._sync is not None:
            ok, value = await self._write_groups.submit(_bound(work, args, kwargs))
            if not ok:
                raise value
            return cast(R, value)
        lock: AbstractAsyncContextManager[Any] = self._write_lock or nullcontext()
        async with lock:
            return await greenlet_spawn(
                _in_transaction, self._write_engine.sync_engine, work, args, kwargs
            )

    async def run_autocommit(self, work: Work[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``work(connection, ...)`` whose statements each stand alone: each is committed as
        it runs. On PostgreSQL that saves a write its BEGIN and COMMIT, two round trips of
        three for a single statement. On SQLite, where a transaction costs no round trip,
        it is ``run_write`` (and shares the group commit)."""
        if self.is_sqlite:
            return await self.run_write(work, *args, **kwargs)
        return await greenlet_spawn(
            _on_connection, self._autocommit_engine.sync_engine, work, args, kwargs
        )

    async def _write_group(self, works: list[Callable[[Connection], Any]]) -> list[Outcome]:
        assert self._sync is not None and self._write_lock is not None
        sync = self._sync
        async with self._write_lock:
            try:
                return sync.write_group_here(works)
            except _NotOnTheLoop:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(sync.writer, sync.write_group, works)

    async def run_read(self, work: Work[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``work(connection, ...)`` for queries whose statements each stand alone.

        On PostgreSQL they run in autocommit: READ COMMITTED gives each statement its own
        snapshot inside a transaction too, so a BEGIN and ROLLBACK would only add two
        round trips (a card redraw's look at the tally clock was four instead of two).
        Not for writes, which autocommit would commit statement by statement.
        """
        if self._sync is not None:
            sync = self._sync
            call = _bound(work, args, kwargs)
            try:
                return sync.read_here(call)
            except _NotOnTheLoop:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(sync.readers, sync.read, call)
        return await greenlet_spawn(
            _on_connection, self._autocommit_engine.sync_engine, work, args, kwargs
        )

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sync is not None:
            await asyncio.to_thread(self._sync.close)


# run_write / run_autocommit / run_read elsewhere than a SQLite file: the whole
# transaction (checkout, BEGIN, work, COMMIT, checkin) as sync code in one greenlet.
# ``async with engine.begin()`` plus ``run_sync`` spawned one for each step and cost a
# quarter to a third more CPU per transaction on PostgreSQL.
def _in_transaction(engine: Engine, work: Callable[..., R], args: Any, kwargs: Any) -> R:
    with engine.begin() as connection:
        return work(connection, *args, **kwargs)


def _on_connection(engine: Engine, work: Callable[..., R], args: Any, kwargs: Any) -> R:
    """Autocommit statements, or reads (rolled back when the connection closes)."""
    with engine.connect() as connection:
        return work(connection, *args, **kwargs)


def _bound(work: Callable[..., R], args: Any, kwargs: Any) -> Callable[[Connection], R]:
    def call(connection: Connection) -> R:
        return work(connection, *args, **kwargs)

    return call


async def in_session(
    session: AsyncSession, work: Work[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run a ``run_write``-style function inside an open async session's transaction."""

    def call(sync_session: Any) -> R:
        return work(sync_session.connection(), *args, **kwargs)

    return await session.run_sync(call)


def _ping_when_idle(engine: AsyncEngine) -> None:
    """PostgreSQL: a pooled connection that sat idle is pinged before it is used.

    ``pool_pre_ping`` pings at every checkout, and asyncpg's ping is three round trips
    (BEGIN, an empty query, ROLLBACK): more than a vote's own statements. A connection
    back in the pool for less than ``PING_IDLE_S`` is used as it is; if the server went
    away in that moment, the transaction fails as a lost connection ("try again"), and
    SQLAlchemy then drops every older connection of the pool, as it does after a failed
    ping.
    """
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A connection just opened has no "idle_since": ``info`` goes with it.
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if not dialect.is_disconnect(cast(Any, exc), dbapi_connection, None):
                raise
            # The pool drops its older connections, opens a new one and tries again.
            raise InvalidatePoolError(f"ping failed: {exc}") from exc


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
    _configure_sqlite_sync(engine.sync_engine, on_the_driver=False)


def _configure_sqlite_sync(sync_engine: Engine, *, on_the_driver: bool = True) -> None:
    """PRAGMAs per connection, and our BEGIN. ``on_the_driver``: the engine runs on the
    sync driver (pysqlite), whose connection can take the BEGIN straight; aiosqlite's
    can't (its execute is a coroutine)."""

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
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        if on_the_driver:
            driver = connection.connection.driver_connection
            # run_write/run_read begin on the driver themselves (see _begin). A BEGIN per
            # transaction needs none of the statement machinery (compilation cache, result
            # set-up) that exec_driver_sql goes through.
            if not driver.in_transaction:
                driver.execute(begin)
        else:
            connection.exec_driver_sql(begin)
