"""Compare requests: who asked to compare what; the digest ranks them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import CompareRequest
from db.queries.people import resolve, resolve_many
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


async def record_compares(database: Database, entries: list[CompareLog]) -> list[None]:
    """Store many compare requests in one transaction (see db.batching)."""
    async with database.write() as session:
        # One look-up for the whole batch.
        persons = await resolve_many(session, (e.voter.identity for e in entries))
        for entry in entries:
            person_id = persons[entry.voter.identity]
            await record_compare(session, entry.voter, entry.first, entry.second, person_id)
    return [None] * len(entries)
