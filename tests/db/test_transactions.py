"""``Database.run_write`` / ``run_read``: whole transactions of plain Core code.

On a SQLite file they run on the sync driver on the event loop's thread (in the writer
thread while another process holds the write lock); elsewhere in the async
connection's greenlet. Either way a write commits
when its function returns, rolls back when it raises, and concurrent writers never
lose each other's rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from db.engine import Database
from db.queries import tally_clock


def _bump_and_fail(connection: Connection, tool_id: int) -> None:
    tally_clock.bump(connection, [tool_id])
    raise RuntimeError("after the write")


def _tool_ids(connection: Connection) -> list[int]:
    return [int(r[0]) for r in connection.execute(text("SELECT id FROM tools ORDER BY id"))]


def _thread_name(_connection: Connection) -> str:
    return threading.current_thread().name


async def test_a_write_commits_and_a_failed_one_leaves_nothing(demo_database: Database) -> None:
    database = demo_database
    first, second = (await database.run_read(_tool_ids))[:2]
    before = await database.run_read(tally_clock.now)
    assert await database.run_write(tally_clock.bump, [first]) == before + 1
    with pytest.raises(RuntimeError, match="after the write"):
        await database.run_write(_bump_and_fail, second)
    assert await database.run_read(tally_clock.now) == before + 1
    assert list(await database.run_read(tally_clock.changes_since, before)) == [first]


async def test_a_bump_marks_each_tool_once_at_its_new_version(demo_database: Database) -> None:
    database = demo_database
    a, b, c = (await database.run_read(_tool_ids))[:3]
    before = await database.run_read(tally_clock.now)
    first = await database.run_write(tally_clock.bump, [b, a, b, c])
    second = await database.run_write(tally_clock.bump, [c])
    assert (first, second) == (before + 1, before + 2)
    assert await database.run_read(tally_clock.changes_since, before) == {
        a: first,
        b: first,
        c: second,
    }
    assert await database.run_read(tally_clock.changes_since, first) == {c: second}


async def test_concurrent_writers_each_get_their_own_version(demo_database: Database) -> None:
    database = demo_database
    tools = await database.run_read(_tool_ids)
    versions = await asyncio.gather(
        *(database.run_write(tally_clock.bump, [tools[n % len(tools)]]) for n in range(50))
    )
    assert len(set(versions)) == 50
    assert await database.run_read(tally_clock.now) == max(versions)


async def test_async_and_thread_writers_interleave_without_loss(demo_database: Database) -> None:
    database = demo_database
    tools = await database.run_read(_tool_ids)
    before = await database.run_read(tally_clock.now)

    """The async sessions and the sync writer thread queue on one lock (SQLite)."""

    async def through_session() -> None:
        async with database.write() as session:
            await session.execute(text("UPDATE tally_clock SET version = version + 1"))

    await asyncio.gather(
        *(database.run_write(tally_clock.bump, [tools[n]]) for n in range(20)),
        *(through_session() for _ in range(20)),
    )
    assert await database.run_read(tally_clock.now) == before + 40


def orphan_vote(connection: Connection) -> None:
    """A vote for a person and a tool that don't exist: the foreign keys refuse it."""
    connection.execute(
        text(
            "INSERT INTO votes (person_id, platform, workspace, user_id, tool_id, verdict,"
            " created_at, updated_at) VALUES (987654, 'x', 'x', 'x', 987654, 'ship',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )


async def test_a_constraint_error_reaches_the_caller(database: Database) -> None:
    with pytest.raises(IntegrityError):
        await database.run_write(orphan_vote)


async def test_sqlite_runs_on_the_loop_and_a_locked_file_waits_in_the_writer_thread(
    tmp_path: Path,
) -> None:
    from db.migrate import upgrade

    path = tmp_path / "w.db"
    on_file = Database(f"sqlite+aiosqlite:///{path}")
    in_memory = Database("sqlite+aiosqlite:///:memory:")
    here = threading.current_thread().name
    try:
        await upgrade(on_file)
        assert await on_file.run_write(_thread_name) == here
        assert await on_file.run_read(_thread_name) == here
        assert await in_memory.run_write(_thread_name) == here
        # Another process takes the write lock: the write waits for it, but not on the loop.
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            waiting = asyncio.ensure_future(on_file.run_write(_thread_name))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            assert await on_file.run_read(_thread_name) == here  # the loop goes on
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert (await asyncio.wait_for(waiting, 5)).startswith("sqlite-writer")
        assert await on_file.run_write(_thread_name) == here  # and back on the loop
    finally:
        await on_file.dispose()
        await in_memory.dispose()


async def test_the_loops_commits_are_checkpointed_by_the_writer_thread(tmp_path: Path) -> None:
    """The loop's connection never checkpoints (that may wait on the disk); the writer
    thread does, every CHECKPOINT_EVERY commits, so the log does not grow without end."""
    from db.engine import CHECKPOINT_EVERY
    from db.migrate import upgrade

    path = tmp_path / "c.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(database)
        wal = path.with_name(path.name + "-wal")
        sizes = []
        for n in range(1, 4 * CHECKPOINT_EVERY + 1):
            await database.run_write(tally_clock.bump, [])
            if n % 50 == 0:
                sizes.append(wal.stat().st_size)
                await asyncio.sleep(0.01)  # the checkpoint runs while the loop goes on
        # Each commit adds a page or more (4 KB) to the log; checkpoints let it restart.
        assert max(sizes) < CHECKPOINT_EVERY * 3 * 4200, sizes
        assert sizes[-1] < 4 * CHECKPOINT_EVERY * 4096, sizes
    finally:
        await database.dispose()


async def test_each_sqlite_thread_keeps_one_connection_and_closes_it_on_dispose(
    tmp_path: Path,
) -> None:
    """Connections are held per thread (no pool round trip per transaction), after a
    failed transaction too, and all of them are closed when the database is disposed."""
    from db.engine import SQLITE_READ_THREADS
    from db.migrate import upgrade

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    sync = database._sync
    assert sync is not None
    try:
        await upgrade(database)
        for _ in range(3):
            await asyncio.gather(
                *(database.run_read(tally_clock.now) for _ in range(20)),
                *(database.run_write(tally_clock.bump, []) for _ in range(20)),
            )
        with pytest.raises(IntegrityError):
            await database.run_write(orphan_vote)
        assert await database.run_write(tally_clock.bump, []) == 61
        # The loop's writer and reader, the writer thread's and the reader threads'.
        assert len(sync._opened) <= 3 + SQLITE_READ_THREADS
    finally:
        await database.dispose()
    assert sync._opened == []


async def test_one_failing_write_among_many_at_once_costs_the_others_nothing(
    demo_database: Database,
) -> None:
    """SQLite runs writes that arrive together as one transaction (group commit): one that
    fails must not take the rest down with it, nor leave its own write behind."""
    database = demo_database
    tools = await database.run_read(_tool_ids)
    before = await database.run_read(tally_clock.now)
    outcomes = await asyncio.gather(
        *(database.run_write(tally_clock.bump, [tools[n]]) for n in range(10)),
        database.run_write(_bump_and_fail, tools[10]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[-1], RuntimeError)
    assert sorted(outcomes[:-1]) == list(range(before + 1, before + 11))  # type: ignore[type-var]
    assert await database.run_read(tally_clock.now) == before + 10
    changed = list(await database.run_read(tally_clock.changes_since, before))
    assert sorted(changed) == sorted(tools[:10])
