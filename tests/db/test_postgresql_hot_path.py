"""What only PostgreSQL can do to the hot-path statements: two transactions meeting the
same new account, and a connection lost mid-statement.

On PostgreSQL the second insert of an identity waits for the first transaction and then
does nothing (ON CONFLICT): its person is dropped and the first one's is used. (SQLite
serializes writers with BEGIN IMMEDIATE, so the two never overlap there.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from bot.core.guard import database_down
from db.engine import Database
from db.migrate import upgrade
from db.models import Identity, Person
from db.queries.people import IdentityKey, generation, resolve_many_sync
from tests import postgres

NEW = IdentityKey("discord", "race-1")
OLD = IdentityKey("discord", "race-0")


@pytest.fixture
async def pg(pg_database: str) -> AsyncIterator[Database]:
    database = Database(
        postgres.pg_url(pg_database), schema=await postgres.create_schema(pg_database)
    )
    await upgrade(database)
    yield database
    await database.dispose()


async def test_the_second_creator_of_an_identity_uses_the_firsts_person(pg: Database) -> None:
    await pg.run_write(resolve_many_sync, [OLD])
    async with pg.engine.connect() as first, pg.engine.connect() as second:
        await first.begin()
        await second.begin()
        mine = await first.run_sync(resolve_many_sync, [NEW])
        # Blocks on the first transaction's uncommitted identity until it commits.
        theirs = asyncio.ensure_future(second.run_sync(resolve_many_sync, [OLD, NEW]))
        await asyncio.sleep(0.3)
        assert not theirs.done()
        await first.commit()
        found = await asyncio.wait_for(theirs, 10)
        await second.commit()
    assert found[NEW] == mine[NEW] and found[OLD] != found[NEW]
    async with pg.read() as session:
        people = await session.scalar(select(func.count()).select_from(Person))
        identities = await session.scalar(select(func.count()).select_from(Identity))
    # The second transaction's extra person was dropped: one person per identity.
    assert people == identities == 2


async def test_a_connection_lost_mid_statement_reads_as_the_database_down(pg: Database) -> None:
    """A statement on the driver's cursor reports a lost connection as SQLAlchemy does, so
    the user is told to try again, and the pool drops the connection."""
    async with pg.engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with pg.engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as caught:
            await connection.run_sync(generation)
        assert connection.invalidated
    assert caught.value.connection_invalidated and database_down(caught.value)
    # The next transaction gets a live connection.
    assert await pg.run_read(generation) == 0


async def _pool_pids(pg: Database, count: int) -> set[int]:
    """Opens ``count`` pooled connections at once; their server process ids."""
    connections = [await pg.engine.connect() for _ in range(count)]
    try:
        return {
            int((await c.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            for c in connections
        }
    finally:
        for connection in connections:
            await connection.close()


async def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart while the pool sits idle costs nobody an error: idle connections are
    pinged before use, and a dead one is replaced (with the rest of the pool)."""
    monkeypatch.setattr("db.engine.PING_IDLE_S", 0.05)
    pids = await _pool_pids(pg, 3)
    admin = await postgres.admin_connection()
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids)
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.2)
    assert await pg.run_read(generation) == 0
    assert await pg.run_write(resolve_many_sync, [OLD])
    assert not (await _pool_pids(pg, 3)) & pids


async def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg's ping is three round trips; a busy pool skips it."""
    pings: list[object] = []
    dialect = pg.engine.sync_engine.dialect
    ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    monkeypatch.setattr("db.engine.PING_IDLE_S", 60.0)
    for _ in range(5):
        await pg.run_write(resolve_many_sync, [OLD])
    assert pings == []
    monkeypatch.setattr("db.engine.PING_IDLE_S", 0.0)
    await pg.run_write(resolve_many_sync, [OLD])
    assert len(pings) == 1


def _two_transaction_ids(connection: Connection) -> tuple[int, int]:
    first = connection.execute(text("SELECT txid_current()")).scalar_one()
    second = connection.execute(text("SELECT txid_current()")).scalar_one()
    return int(first), int(second)


async def test_run_autocommit_commits_each_statement_by_itself(pg: Database) -> None:
    """No BEGIN and COMMIT around a standalone statement (two round trips of three)."""
    first, second = await pg.run_autocommit(_two_transaction_ids)
    assert first != second
    # run_write, for contrast: one transaction.
    first, second = await pg.run_write(_two_transaction_ids)
    assert first == second


async def test_run_read_sends_no_begin_or_rollback(pg: Database) -> None:
    """The tally board's reads (a look at the clock, a count) are two round trips, not four:
    each statement is its own transaction, as in autocommit."""
    first, second = await pg.run_read(_two_transaction_ids)
    assert first != second


def _slow_new_person(connection: Connection) -> None:
    connection.execute(text("SELECT pg_sleep(0.5)"))
    resolve_many_sync(connection, [IdentityKey("discord", "cancelled")])


async def test_a_cancelled_transaction_is_rolled_back_and_its_connection_returned(
    pg: Database,
) -> None:
    """A caller cancelled mid-transaction (a shutdown, a timed-out request): nothing of it
    is committed and the pool gets its connection back, usable."""
    await pg.run_write(resolve_many_sync, [OLD])  # the pool holds a connection now
    pool = pg.engine.sync_engine.pool
    writing = asyncio.ensure_future(pg.run_write(_slow_new_person))
    await asyncio.sleep(0.2)
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    for _ in range(50):
        if pool.checkedout() == 0:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await pg.run_write(resolve_many_sync, [OLD])
    async with pg.read() as session:
        identities = await session.scalar(select(func.count()).select_from(Identity))
    assert identities == 1
