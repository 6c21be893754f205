"""Compare requests: who asked to compare what; the digest ranks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_sql import Statement
from db.engine import Database
from db.models import CompareRequest, utcnow
from db.queries.people import resolve, resolve_many_sync
from db.queries.votes import Voter


async def record_compare(
    session: AsyncSession,
    voter: Voter,
    first: tuple[str, int | None],
    second: tuple[str, int | None],
    person_id: int | None = None,
) -> None:
    """Store the request; unknown names are kept as typed (tool id None)."""
    session.add(
        CompareRequest(
            person_id=person_id or await resolve(session, voter.identity),
            platform=voter.platform,
            workspace=voter.workspace,
            user_id=voter.user_id,
            first_query=first[0][:200],
            first_tool_id=first[1],
            second_query=second[0][:200],
            second_tool_id=second[1],
        )
    )


@dataclass(frozen=True, slots=True)
class CompareLog:
    voter: Voter
    first: tuple[str, int | None]
    second: tuple[str, int | None]


# The batch is one executemany, with no ORM objects, identity map or unit-of-work flush
# (they cost more than the insert).
_INSERT = Statement(
    """
    INSERT INTO compare_requests (person_id, platform, workspace, user_id, first_query,
        first_tool_id, second_query, second_tool_id, created_at)
    VALUES (:person_id, :platform, :workspace, :user_id, :first_query,
        :first_tool_id, :second_query, :second_tool_id, :created_at)
    """
)


async def record_compares(database: Database, entries: list[CompareLog]) -> list[None]:
    """Store many compare requests in one transaction (see db.batching).

    On PostgreSQL the requests of people already known are stored by one autocommit
    statement that looks their identities up itself: one round trip instead of four
    (BEGIN, the look-up, the insert, COMMIT). Only newcomers take the transaction that
    creates their person.
    """
    pending = entries
    if pending and not database.is_sqlite:
        unknown = await database.run_autocommit(_record_known_pg, pending, utcnow())
        pending = [pending[n] for n in unknown]
    if pending:
        await database.run_write(_record_batch, pending)
    return [None] * len(entries)


# PostgreSQL only: the batch as arrays (one prepared statement whatever its size). The
# requests whose identity exists are inserted; the numbers of the others come back.
_INSERT_KNOWN_PG = Statement(
    """
    WITH asked AS (
        SELECT * FROM unnest(
            :ns::int[], :kinds::text[], :keys::text[], :platform::text[],
            :workspace::text[], :user_id::text[], :first_query::text[],
            :first_tool_id::int[], :second_query::text[], :second_tool_id::int[]
        ) AS a(n, kind, key, platform, workspace, user_id, first_query, first_tool_id,
               second_query, second_tool_id)
    ), known AS (
        SELECT asked.*, identities.person_id FROM asked
        JOIN identities ON identities.kind = asked.kind AND identities.key = asked.key
    ), stored AS (
        INSERT INTO compare_requests (person_id, platform, workspace, user_id, first_query,
            first_tool_id, second_query, second_tool_id, created_at)
        SELECT person_id, platform, workspace, user_id, first_query, first_tool_id,
            second_query, second_tool_id, :created_at::timestamptz FROM known ORDER BY n
    )
    SELECT n FROM asked WHERE n NOT IN (SELECT n FROM known) ORDER BY n
    """
)


def _columns(entry: CompareLog) -> dict[str, Any]:
    """A request's own columns, as both paths store them (names cut to the column's size)."""
    voter = entry.voter
    return {
        "platform": voter.platform,
        "workspace": voter.workspace,
        "user_id": voter.user_id,
        "first_query": entry.first[0][:200],
        "first_tool_id": entry.first[1],
        "second_query": entry.second[0][:200],
        "second_tool_id": entry.second[1],
    }


def _record_known_pg(
    connection: Connection, entries: list[CompareLog], moment: datetime
) -> list[int]:
    identities = [e.voter.identity for e in entries]
    rows = [_columns(e) for e in entries]
    # Each column as one array, under the column's name (a batch is never empty).
    arrays = {name: [row[name] for row in rows] for name in rows[0]}
    found = _INSERT_KNOWN_PG.rows(
        connection,
        {
            "ns": list(range(len(entries))),
            "kinds": [i.kind for i in identities],
            "keys": [i.key for i in identities],
            **arrays,
            "created_at": moment,
        },
    )
    return [int(row[0]) for row in found]


def _record_batch(connection: Connection, entries: list[CompareLog]) -> None:
    moment = utcnow()
    # One look-up for the whole batch.
    persons = resolve_many_sync(connection, (e.voter.identity for e in entries))
    rows = [
        {"person_id": persons[e.voter.identity], **_columns(e), "created_at": moment}
        for e in entries
    ]
    _INSERT.many(connection, rows)
