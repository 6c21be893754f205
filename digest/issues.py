"""Digest issues: at most one per ISO week, built once and then read back unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import metrics
from db.engine import Database
from db.queries import digest_issues
from db.queries.digest_issues import IssueHeading, IssueRow
from digest.snapshot import build_snapshot, subject_of
from digest.snapshot_model import DigestSnapshot
from digest.weeks import Week


@dataclass(frozen=True, slots=True)
class Issue:
    id: int
    week: str
    subject: str
    snapshot: DigestSnapshot
    built_at: datetime


def _issue(row: IssueRow) -> Issue:
    snapshot = DigestSnapshot.from_json(row.snapshot)
    return Issue(row.id, row.week, row.subject, snapshot, row.built_at)


async def find_issue(database: Database, week: str) -> Issue | None:
    async with database.read() as session:
        row = await digest_issues.issue_for_week(session, week)
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
    async with database.write() as session:
        built = await digest_issues.insert_issue(
            session, week.label, subject_of(snapshot)[:300], snapshot.to_json()
        )
    issue = await find_issue(database, week.label)
    assert issue is not None
    return issue, built


async def list_issues(database: Database) -> list[IssueHeading]:
    """(week, subject, built_at), newest first."""
    async with database.read() as session:
        return await digest_issues.issue_headings(session)


async def issue_count(database: Database) -> int:
    async with database.read() as session:
        return await digest_issues.issue_count(session)
