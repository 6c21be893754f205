"""Compare requests: who asked to compare what; the digest ranks them."""

from __future__ import annotations

from dataclasses import dataclass

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
    """Store many compare requests in one transaction (see db.batching)."""
    if entries:
        await database.run_write(_record_batch, entries)
    return [None] * len(entries)


def _record_batch(connection: Connection, entries: list[CompareLog]) -> None:
    moment = utcnow()
    # One look-up for the whole batch.
    persons = resolve_many_sync(connection, (e.voter.identity for e in entries))
    rows = [
        {
            "person_id": persons[e.voter.identity],
            "platform": e.voter.platform,
            "workspace": e.voter.workspace,
            "user_id": e.voter.user_id,
            "first_query": e.first[0][:200],
            "first_tool_id": e.first[1],
            "second_query": e.second[0][:200],
            "second_tool_id": e.second[1],
            "created_at": moment,
        }
        for e in entries
    ]
    _INSERT.many(connection, rows)
