"""What App Home shows that the core has no command for: votes, trends, the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.engine import Database
from db.models import utcnow
from db.queries import digest_issues, home
from db.queries.votes import Voter


@dataclass(frozen=True, slots=True)
class VoteLine:
    tool_name: str
    verdict: str


@dataclass(frozen=True, slots=True)
class TrendLine:
    tool_name: str
    requests: int


@dataclass(frozen=True, slots=True)
class DigestLine:
    week: str
    subject: str


async def recent_votes(database: Database, voter: Voter, limit: int = 15) -> list[VoteLine]:
    async with database.read() as session:
        return [VoteLine(*row) for row in await home.recent_votes(session, voter, limit)]


async def most_compared(
    database: Database, *, since: datetime | None = None, limit: int = 5
) -> list[TrendLine]:
    """Tools named most often in comparisons over the last seven days, every platform."""
    start = since or utcnow() - timedelta(days=7)
    async with database.read() as session:
        return [TrendLine(*row) for row in await home.most_compared(session, start, limit)]


async def newest_digest(database: Database) -> DigestLine | None:
    async with database.read() as session:
        row = await digest_issues.newest_issue(session)
    return None if row is None else DigestLine(row.week, row.subject)
