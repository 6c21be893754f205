"""What happened in one week, for the digest snapshot: reviews, comparisons, votes.

Each function answers one question for a [start, end) window; the digest decides what
is worth showing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CompareRequest, Review, ReviewVersion, Tool, Vote


class VoteMovement(NamedTuple):
    """One tool's community votes in the week, and its totals before and after it."""

    tool_id: int
    week_ship: int
    week_skip: int
    ship_before: int
    total_before: int
    ship_at_end: int
    total_at_end: int


class RequestedPair(NamedTuple):
    """Two tools (lower id first), how often they were compared and by how many people."""

    first_id: int
    second_id: int
    requests: int
    people: int


class CriticVerdict(NamedTuple):
    tool_id: int
    critic_id: int
    verdict: str


class UnknownName(NamedTuple):
    """A name someone tried to compare that matched no tool, and the person who typed it."""

    query: str
    person_id: int | None


async def reviewed_tool_ids(
    session: AsyncSession, monday: date, next_monday: date, start: datetime, end: datetime
) -> list[int]:
    """Tools reviewed (catalog date in the week) or re-reviewed (a version superseded)."""
    reviewed = (
        select(Review.tool_id, func.max(Review.reviewed).label("latest"))
        .where(Review.reviewed >= monday, Review.reviewed < next_monday)
        .group_by(Review.tool_id)
    )
    rows = (await session.execute(reviewed)).all()
    latest = {r.tool_id: str(r.latest) for r in rows}
    re_reviewed = select(ReviewVersion.tool_id).where(
        ReviewVersion.superseded_at >= start, ReviewVersion.superseded_at < end
    )
    for tool_id in (await session.scalars(re_reviewed.distinct())).all():
        latest.setdefault(tool_id, "")
    # Most recently reviewed first; ties by id keep the order stable across rebuilds.
    return sorted(latest, key=lambda i: (latest[i], -i), reverse=True)


async def requested_pairs(
    session: AsyncSession, start: datetime, end: datetime, limit: int
) -> list[RequestedPair]:
    """The most compared pairs of known tools, asked by the most people first."""
    first = case(
        (
            CompareRequest.first_tool_id < CompareRequest.second_tool_id,
            CompareRequest.first_tool_id,
        ),
        else_=CompareRequest.second_tool_id,
    )
    second = case(
        (
            CompareRequest.first_tool_id < CompareRequest.second_tool_id,
            CompareRequest.second_tool_id,
        ),
        else_=CompareRequest.first_tool_id,
    )
    # Distinct people, not requests: one person asking three times is one asker.
    people = func.count(func.distinct(CompareRequest.person_id)).label("people")
    count = func.count().label("n")
    query = (
        select(first.label("a"), second.label("b"), count, people)
        .where(
            CompareRequest.created_at >= start,
            CompareRequest.created_at < end,
            CompareRequest.first_tool_id.is_not(None),
            CompareRequest.second_tool_id.is_not(None),
            CompareRequest.first_tool_id != CompareRequest.second_tool_id,
        )
        .group_by(first, second)
        .order_by(people.desc(), count.desc(), first, second)
        .limit(limit)
    )
    return [
        RequestedPair(int(r.a), int(r.b), int(r.n), int(r.people))
        for r in await session.execute(query)
    ]


async def vote_movement(
    session: AsyncSession, start: datetime, end: datetime
) -> list[VoteMovement]:
    """Per tool voted on this week: a VoteMovement.

    Votes are upserted, so a vote's earlier verdict is gone; but an unchanged vote is
    never rewritten, so a vote created before a moment and updated after it had the
    other verdict at that moment. Only votes touched since the week began are read
    (by the updated_at index); current totals come from the (tool, verdict) index.
    """
    ship, skip = Vote.verdict == "ship", Vote.verdict == "skip"

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    touched = await session.execute(
        select(
            Vote.tool_id,
            total(and_(Vote.updated_at < end, ship)),
            total(and_(Vote.updated_at < end, skip)),
            total(ship),
            total(and_(Vote.created_at < start, skip)),
            total(Vote.created_at >= start),
            total(and_(Vote.updated_at >= end, ship)),
            total(and_(Vote.created_at < end, Vote.updated_at >= end, skip)),
            total(Vote.created_at >= end),
        )
        .where(Vote.updated_at >= start)
        .group_by(Vote.tool_id)
    )
    changes = {int(r[0]): [int(v or 0) for v in r[1:]] for r in touched}
    if not changes:
        return []
    current: dict[int, tuple[int, int]] = {}
    totals = select(Vote.tool_id, total(ship), func.count()).group_by(Vote.tool_id)
    if len(changes) < 1000:
        totals = totals.where(Vote.tool_id.in_(list(changes)))
    for row in await session.execute(totals):
        current[int(row[0])] = (int(row[1] or 0), int(row[2] or 0))
    rows: list[VoteMovement] = []
    for tool_id, (ws, wk, moved_ship, was_ship, new_since_start, late_ship, late_was_ship,
                  new_since_end) in changes.items():  # fmt: skip
        now_ship, now_total = current.get(tool_id, (0, 0))
        rows.append(
            VoteMovement(
                tool_id=tool_id,
                week_ship=ws,
                week_skip=wk,
                ship_before=now_ship - moved_ship + was_ship,
                total_before=now_total - new_since_start,
                ship_at_end=now_ship - late_ship + late_was_ship,
                total_at_end=now_total - new_since_end,
            )
        )
    return rows


async def superseded_verdicts(
    session: AsyncSession, start: datetime, end: datetime
) -> list[CriticVerdict]:
    """Review versions replaced in the window, oldest replacement first."""
    rows = await session.execute(
        select(ReviewVersion.tool_id, ReviewVersion.critic_id, ReviewVersion.verdict)
        .where(ReviewVersion.superseded_at >= start, ReviewVersion.superseded_at < end)
        .order_by(ReviewVersion.superseded_at, ReviewVersion.id)
    )
    return [CriticVerdict(r[0], r[1], r[2]) for r in rows]


async def current_verdicts(session: AsyncSession, tool_ids: set[int]) -> list[CriticVerdict]:
    rows = await session.execute(
        select(Review.tool_id, Review.critic_id, Review.verdict).where(Review.tool_id.in_(tool_ids))
    )
    return [CriticVerdict(r[0], r[1], r[2]) for r in rows]


async def unknown_names(session: AsyncSession, start: datetime, end: datetime) -> list[UnknownName]:
    """Every side of a comparison in the window that matched no tool."""
    window = (CompareRequest.created_at >= start, CompareRequest.created_at < end)
    # The person, not the account: a server and a DM of one Discord user are one asker.
    who = (CompareRequest.person_id,)
    names = (
        select(CompareRequest.first_query.label("q"), *who)
        .where(*window, CompareRequest.first_tool_id.is_(None))
        .union_all(
            select(CompareRequest.second_query.label("q"), *who).where(
                *window, CompareRequest.second_tool_id.is_(None)
            )
        )
    )
    return [UnknownName(str(r[0]), r[1]) for r in await session.execute(names)]


async def first_activity_day(session: AsyncSession) -> date | None:
    """The first day anything happened: a tool added, a review dated, a vote cast."""
    firsts = [
        await session.scalar(select(func.min(Tool.added))),
        await session.scalar(select(func.min(Review.reviewed))),
        await session.scalar(select(func.min(Vote.created_at))),
    ]
    days = [d.date() if isinstance(d, datetime) else d for d in firsts if d is not None]
    return min(days) if days else None
