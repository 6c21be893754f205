"""OAuth ``state`` rows (slack_sdk writes and consumes them; we clean up after it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.slack_tables import slack_oauth_states


async def purge_expired_states(session: AsyncSession, now: datetime) -> int:
    """Delete states that expired before ``now`` (naive UTC, as slack_sdk stores them)."""
    result = await session.execute(
        delete(slack_oauth_states).where(slack_oauth_states.c.expire_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_states(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(slack_oauth_states)) or 0)
