"""Questions the public web pages ask that chat never does: rankings and histories."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CompareRequest, Critic, ReviewVersion, Tool


class PairCount(NamedTuple):
    first_id: int
    second_id: int
    requests: int


class PartnerCount(NamedTuple):
    tool_id: int
    requests: int


class PastReview(NamedTuple):
    critic_slug: str
    critic_name: str
    score: int
    verdict: str
    reviewed: date
    superseded_at: datetime


async def most_compared(session: AsyncSession, since: datetime, limit: int) -> list[PairCount]:
    """Pairs of catalog tools asked for most since ``since``, either order counted together."""
    # An unordered pair: the smaller id first, on both databases (CASE, not LEAST/MIN).
    first, second = CompareRequest.first_tool_id, CompareRequest.second_tool_id
    low = case((first < second, first), else_=second).label("low")
    high = case((first < second, second), else_=first).label("high")
    rows = await session.execute(
        select(low, high, func.count().label("n"))
        .where(
            CompareRequest.created_at >= since,
            CompareRequest.first_tool_id.is_not(None),
            CompareRequest.second_tool_id.is_not(None),
            CompareRequest.first_tool_id != CompareRequest.second_tool_id,
        )
        .group_by(low, high)
        .order_by(func.count().desc(), low, high)
        .limit(limit)
    )
    return [PairCount(int(r.low), int(r.high), int(r.n)) for r in rows]


async def compared_with(session: AsyncSession, tool_id: int, limit: int) -> list[PartnerCount]:
    """The tools most often compared with ``tool_id``, all time."""
    first, second = CompareRequest.first_tool_id, CompareRequest.second_tool_id
    other = case((first == tool_id, second), else_=first).label("other")
    rows = await session.execute(
        select(other, func.count().label("n"))
        .where(
            and_(first.is_not(None), second.is_not(None), first != second),
            (first == tool_id) | (second == tool_id),
        )
        # By the output name: PostgreSQL can't match two copies of a CASE with bind parameters.
        .group_by(literal_column("other"))
        .order_by(func.count().desc(), literal_column("other"))
        .limit(limit)
    )
    return [PartnerCount(int(r.other), int(r.n)) for r in rows]


async def review_history(session: AsyncSession, tool_id: int) -> list[PastReview]:
    """Earlier versions of the tool's reviews, newest change first."""
    rows = await session.execute(
        select(
            Critic.slug,
            Critic.name,
            ReviewVersion.score,
            ReviewVersion.verdict,
            ReviewVersion.reviewed,
            ReviewVersion.superseded_at,
        )
        .join(Critic, Critic.id == ReviewVersion.critic_id)
        .where(ReviewVersion.tool_id == tool_id)
        .order_by(ReviewVersion.superseded_at.desc(), ReviewVersion.id.desc())
    )
    return [PastReview(*r) for r in rows]


async def tool_updated_at(session: AsyncSession, tool_id: int) -> datetime | None:
    return await session.scalar(select(Tool.updated_at).where(Tool.id == tool_id))
