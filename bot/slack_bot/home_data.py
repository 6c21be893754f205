"""What App Home shows that the core has no command for: votes, trends, the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, union_all

from db.digest_models import DigestIssue
from db.engine import Database
from db.models import CompareRequest, Identity, Tool, Vote, utcnow
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
        rows = await session.execute(
            select(Tool.name, Vote.verdict)
            .join(Tool, Tool.id == Vote.tool_id)
            # The person's votes, from whichever linked account they were cast.
            .join(Identity, Identity.person_id == Vote.person_id)
            .where(Identity.kind == voter.identity.kind, Identity.key == voter.identity.key)
            .order_by(Vote.updated_at.desc(), Vote.id.desc())
            .limit(limit)
        )
        return [VoteLine(r[0], r[1]) for r in rows]


async def most_compared(
    database: Database, *, since: datetime | None = None, limit: int = 5
) -> list[TrendLine]:
    """Tools named most often in comparisons over the last seven days, every platform."""
    start = since or utcnow() - timedelta(days=7)
    recent = CompareRequest.created_at >= start
    mentions = union_all(
        select(CompareRequest.first_tool_id.label("tool_id")).where(recent),
        select(CompareRequest.second_tool_id.label("tool_id")).where(recent),
    ).subquery()
    count = func.count().label("n")
    async with database.read() as session:
        rows = await session.execute(
            select(Tool.name, count)
            .join(mentions, mentions.c.tool_id == Tool.id)
            .group_by(Tool.id, Tool.name)
            .order_by(count.desc(), Tool.name)
            .limit(limit)
        )
        return [TrendLine(r[0], int(r[1])) for r in rows]


async def newest_digest(database: Database) -> DigestLine | None:
    async with database.read() as session:
        row = (
            await session.execute(
                select(DigestIssue.week, DigestIssue.subject)
                .order_by(DigestIssue.built_at.desc(), DigestIssue.id.desc())
                .limit(1)
            )
        ).first()
    return None if row is None else DigestLine(row[0], row[1])
