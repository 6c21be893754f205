"""Community votes: one row per person per tool, upserted; tallies are always counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Vote, utcnow

VoteChange = Literal["counted", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class Voter:
    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Tally:
    ship: int = 0
    skip: int = 0


async def cast_vote(
    session: AsyncSession, voter: Voter, tool_id: int, verdict: str, *, now: datetime | None = None
) -> VoteChange:
    """Record ``verdict``; an existing vote is updated in place, never counted twice.

    The upsert makes concurrent votes from the same person safe on both databases:
    whatever interleaving, one row remains and it holds the last verdict written.
    """
    previous = await session.scalar(
        select(Vote.verdict).where(
            Vote.platform == voter.platform,
            Vote.workspace == voter.workspace,
            Vote.user_id == voter.user_id,
            Vote.tool_id == tool_id,
        )
    )
    if previous == verdict:
        return "unchanged"
    moment = now or utcnow()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Vote).values(
        platform=voter.platform,
        workspace=voter.workspace,
        user_id=voter.user_id,
        tool_id=tool_id,
        verdict=verdict,
        created_at=moment,
        updated_at=moment,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["platform", "workspace", "user_id", "tool_id"],
        set_={"verdict": statement.excluded.verdict, "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)
    return "counted" if previous is None else "changed"


async def tallies(session: AsyncSession, tool_ids: Iterable[int]) -> dict[int, Tally]:
    """Ship/skip counts per tool; tools without votes get an empty tally."""
    ids = list(tool_ids)
    rows = await session.execute(
        select(
            Vote.tool_id,
            func.sum(case((Vote.verdict == "ship", 1), else_=0)),
            func.sum(case((Vote.verdict == "skip", 1), else_=0)),
        )
        .where(Vote.tool_id.in_(ids))
        .group_by(Vote.tool_id)
    )
    found = {r[0]: Tally(int(r[1] or 0), int(r[2] or 0)) for r in rows}
    return {tool_id: found.get(tool_id, Tally()) for tool_id in ids}


async def votes_of(session: AsyncSession, voter: Voter, tool_ids: Iterable[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Vote.tool_id, Vote.verdict).where(
            Vote.platform == voter.platform,
            Vote.workspace == voter.workspace,
            Vote.user_id == voter.user_id,
            Vote.tool_id.in_(list(tool_ids)),
        )
    )
    return {r.tool_id: r.verdict for r in rows}
