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
from sqlalchemy import func, select, text
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
