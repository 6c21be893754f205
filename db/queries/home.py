"""What Slack's App Home lists beyond the commands: a person's votes, this week's trends."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CompareRequest, Identity, Tool, Vote
from db.queries.votes import Voter


class VotedTool(NamedTuple):
    tool_name: str
    verdict: str


class ComparedTool(NamedTuple):
    tool_name: str
    requests: int


async def recent_votes(session: AsyncSession, voter: Voter, limit: int) -> list[VotedTool]:
    """The person's latest votes (every linked account), most recently changed first."""
    rows = await session.execute(
        select(Tool.name, Vote.verdict)
        .join(Tool, Tool.id == Vote.tool_id)
        # The person's votes, from whichever linked account they were cast.
        .join(Identity, Identity.person_id == Vote.person_id)
        .where(Identity.kind == voter.identity.kind, Identity.key == voter.identity.key)
        .order_by(Vote.updated_at.desc(), Vote.id.desc())
        .limit(limit)
    )
    return [VotedTool(r[0], r[1]) for r in rows]


async def most_compared(session: AsyncSession, since: datetime, limit: int) -> list[ComparedTool]:
    """Tools named most often in comparisons since ``since``, every platform."""
    recent = CompareRequest.created_at >= since
    mentions = union_all(
        select(CompareRequest.first_tool_id.label("tool_id")).where(recent),
        select(CompareRequest.second_tool_id.label("tool_id")).where(recent),
    ).subquery()
    count = func.count().label("n")
    rows = await session.execute(
        select(Tool.name, count)
        .join(mentions, mentions.c.tool_id == Tool.id)
        .group_by(Tool.id, Tool.name)
        .order_by(count.desc(), Tool.name)
        .limit(limit)
    )
    return [ComparedTool(r[0], int(r[1])) for r in rows]
