"""Stored digest issues: one row per ISO week, written once, read back unchanged."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.digest_models import DigestIssue
from db.queries.upsert import dialect_of, insert_on_conflict


class IssueRow(NamedTuple):
    id: int
    week: str
    subject: str
    snapshot: dict[str, Any]
    built_at: datetime


class IssueHeading(NamedTuple):
    week: str
    subject: str
    built_at: datetime


async def issue_for_week(session: AsyncSession, week: str) -> IssueRow | None:
    row = (await session.scalars(select(DigestIssue).where(DigestIssue.week == week))).first()
    if row is None:
        return None
    return IssueRow(row.id, row.week, row.subject, row.snapshot, row.built_at)


async def insert_issue(
    session: AsyncSession, week: str, subject: str, snapshot: dict[str, Any]
) -> bool:
    """Store the week's issue unless one exists; True when this call's row won."""
    statement = insert_on_conflict(
        dialect_of(session),
        DigestIssue,
        {"week": week, "subject": subject, "snapshot": snapshot},
        conflict=["week"],
    )
    result = await session.execute(statement.returning(DigestIssue.id))
    return result.scalar() is not None


async def issue_headings(session: AsyncSession) -> list[IssueHeading]:
    """(week, subject, built_at) of every issue, newest week first."""
    rows = await session.execute(
        select(DigestIssue.week, DigestIssue.subject, DigestIssue.built_at).order_by(
            DigestIssue.week.desc()
        )
    )
    return [IssueHeading(r[0], r[1], r[2]) for r in rows]


async def newest_issue(session: AsyncSession) -> IssueHeading | None:
    """The most recently built issue (App Home shows it)."""
    row = (
        await session.execute(
            select(DigestIssue.week, DigestIssue.subject, DigestIssue.built_at)
            .order_by(DigestIssue.built_at.desc(), DigestIssue.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else IssueHeading(row[0], row[1], row[2])


async def issue_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(DigestIssue.id))) or 0)
