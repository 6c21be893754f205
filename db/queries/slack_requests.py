"""Slack requests already handled, so a retry (X-Slack-Retry-Num) or a replay has no effect."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.live_models import SlackRequestSeen
from db.models import utcnow


async def first_sighting(session: AsyncSession, request_key: str) -> bool:
    """Record the request; True only the first time its key is seen."""
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    result = await session.execute(
        insert(SlackRequestSeen)
        .values(request_key=request_key, seen_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SlackRequestSeen.request_key)
    )
    return result.first() is not None


async def forget_older_than(session: AsyncSession, age: timedelta) -> int:
    """Drop keys past the window in which Slack retries (and a signature stays valid)."""
    result = await session.execute(
        delete(SlackRequestSeen).where(SlackRequestSeen.seen_at < utcnow() - age)
    )
    return int(getattr(result, "rowcount", 0) or 0)
