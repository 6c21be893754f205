"""Digest issues: at most one per ISO week, built once and then read back unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot import metrics
from db.digest_models import DigestIssue
from db.engine import Database
from digest.snapshot import Snapshot, build_snapshot, subject_of
from digest.weeks import Week


@dataclass(frozen=True, slots=True)
class Issue:
    id: int
    week: str
    subject: str
    snapshot: Snapshot
    built_at: datetime


def _issue(row: DigestIssue) -> Issue:
    return Issue(row.id, row.week, row.subject, row.snapshot, row.built_at)


async def find_issue(database: Database, week: str) -> Issue | None:
    async with database.read() as session:
        row = (await session.scalars(select(DigestIssue).where(DigestIssue.week == week))).first()
        return _issue(row) if row else None


async def ensure_issue(database: Database, week: Week) -> tuple[Issue, bool]:
    """The stored issue for ``week``, building it if none exists; (issue, built_now).

    Several processes may race here: the unique week makes exactly one insert win,
    and every caller gets that one's snapshot back.
    """
    existing = await find_issue(database, week.label)
    if existing is not None:
        return existing, False
    with metrics.DIGEST_BUILD_SECONDS.time():
        snapshot = await build_snapshot(database, week)
    values: dict[str, Any] = {
        "week": week.label,
        "subject": subject_of(snapshot)[:300],
        "snapshot": snapshot,
    }
    async with database.write() as session:
        insert = postgresql.insert if not database.is_sqlite else sqlite.insert
        statement = (
            insert(DigestIssue).values(**values).on_conflict_do_nothing(index_elements=["week"])
        )
        result = await session.execute(statement.returning(DigestIssue.id))
        built = result.scalar() is not None
    issue = await find_issue(database, week.label)
    assert issue is not None
    return issue, built


async def list_issues(database: Database) -> list[tuple[str, str, datetime]]:
    """(week, subject, built_at), newest first."""
    async with database.read() as session:
        rows = await session.execute(
            select(DigestIssue.week, DigestIssue.subject, DigestIssue.built_at).order_by(
                DigestIssue.week.desc()
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def issue_count(database: Database) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count(DigestIssue.id))) or 0)
