"""Compare requests: who asked to compare what; the digest ranks them."""

from __future__ import annotations

from collections.abc import Sequence
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

    On PostgreSQL the whole batch is one autocommit statement that looks the askers up
    and creates the people it has never seen: one round trip, where a transaction took
    seven for a batch with a newcomer (BEGIN, the look-up, the people, their identities,
    the insert, COMMIT, after the known people's own statement). Only the requests of
    newcomers another process created at the same moment take the transaction, which
    finds the person that process made.
    """
    pending = entries
    orphans: list[int] = []
    if pending and not database.is_sqlite:
        lost, orphans = await database.run_autocommit(_record_pg, pending, utcnow())
        pending = [pending[n] for n in lost]
    if pending:
        await database.run_write(_record_batch, pending, orphans)
    return [None] * len(entries)


# PostgreSQL only: the batch as arrays (one prepared statement whatever its size).
# Known askers are joined to their identity; each identity never seen gets a person
# (one per identity, however often it asks in the batch; which new id goes to which
# identity does not matter, they are alike) and the identity, unless another process
# created it first (ON CONFLICT DO NOTHING waits for that process, then skips). Every
# request whose asker is now known is stored. Comes back: ("lost", n) for a request
# whose identity another process won, ("orphan", id) for the person made for it.
_INSERT_PG = Statement(
    """
    WITH asked AS (
        SELECT * FROM unnest(
            :ns::int[], :kinds::text[], :keys::text[], :platform::text[],
            :workspace::text[], :user_id::text[], :first_query::text[],
            :first_tool_id::int[], :second_query::text[], :second_tool_id::int[]
        ) AS a(n, kind, key, platform, workspace, user_id, first_query, first_tool_id,
               second_query, second_tool_id)
    ), known AS (
        SELECT asked.n, identities.person_id FROM asked
        JOIN identities ON identities.kind = asked.kind AND identities.key = asked.key
    ), fresh AS (
        SELECT kind, key, row_number() OVER (ORDER BY kind, key) AS r
        FROM (SELECT DISTINCT kind, key FROM asked
              WHERE n NOT IN (SELECT n FROM known)) AS unseen
    ), made AS (
        INSERT INTO people (created_at)
        SELECT :created_at::timestamptz FROM fresh
        RETURNING id
    ), paired AS (
        SELECT fresh.kind, fresh.key, numbered.id AS person_id FROM fresh
        JOIN (SELECT id, row_number() OVER (ORDER BY id) AS r FROM made) AS numbered
            ON numbered.r = fresh.r
    ), claimed AS (
        INSERT INTO identities (person_id, kind, key, created_at)
        SELECT person_id, kind, key, :created_at::timestamptz FROM paired
        ON CONFLICT (kind, key) DO NOTHING
        RETURNING kind, key, person_id
    ), owners AS (
        SELECT n, person_id FROM known
        UNION ALL
        SELECT asked.n, claimed.person_id FROM asked
        JOIN claimed ON claimed.kind = asked.kind AND claimed.key = asked.key
    ), stored AS (
        INSERT INTO compare_requests (person_id, platform, workspace, user_id, first_query,
            first_tool_id, second_query, second_tool_id, created_at)
        SELECT owners.person_id, platform, workspace, user_id, first_query, first_tool_id,
            second_query, second_tool_id, :created_at::timestamptz
        FROM asked JOIN owners ON owners.n = asked.n ORDER BY asked.n
    )
    SELECT 'lost', n FROM asked WHERE n NOT IN (SELECT n FROM owners)
    UNION ALL
    SELECT 'orphan', person_id FROM paired
    WHERE person_id NOT IN (SELECT person_id FROM claimed)
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


def _record_pg(
    connection: Connection, entries: list[CompareLog], moment: datetime
) -> tuple[list[int], list[int]]:
    """The requests left to store (lost to another process) and the people to drop."""
    identities = [e.voter.identity for e in entries]
    rows = [_columns(e) for e in entries]
    # Each column as one array, under the column's name (a batch is never empty).
    arrays = {name: [row[name] for row in rows] for name in rows[0]}
    found = _INSERT_PG.rows(
        connection,
        {
            "ns": list(range(len(entries))),
            "kinds": [i.kind for i in identities],
            "keys": [i.key for i in identities],
            **arrays,
            "created_at": moment,
        },
    )
    lost = sorted(int(n) for kind, n in found if kind == "lost")
    return lost, [int(n) for kind, n in found if kind == "orphan"]


def _record_batch(
    connection: Connection, entries: list[CompareLog], orphans: Sequence[int] = ()
) -> None:
    moment = utcnow()
    if orphans:
        # People made for identities another process created first: nobody uses them.
        _FORGET_PEOPLE.many(connection, [{"id": person} for person in orphans])
    # One look-up for the whole batch.
    persons = resolve_many_sync(connection, (e.voter.identity for e in entries))
    rows = [
        {"person_id": persons[e.voter.identity], **_columns(e), "created_at": moment}
        for e in entries
    ]
    _INSERT.many(connection, rows)


_FORGET_PEOPLE = Statement("DELETE FROM people WHERE id = :id")
