"""Channel posts of a digest issue: one row per (issue, opted-in channel), claimed like deliveries.

Statuses: ``pending`` (not tried), ``claimed`` (a run is posting it), ``posted``,
``failed`` (will be retried), ``lost`` (the bot can no longer post there; never retried).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.digest_models import ChannelPost
from db.models import utcnow
from db.queries.channels import digest_channels
from db.queries.upsert import dialect_of, insert_on_conflict

RETRYABLE = ("pending", "failed")


@dataclass(frozen=True, slots=True)
class PostTarget:
    id: int
    platform: str
    workspace: str
    channel_id: str
    in_doubt: bool  # a claim taken over from a run that died mid-post


async def add_missing_rows(session: AsyncSession, issue_id: int) -> None:
    """A pending row for every opted-in channel that has none for this issue yet."""
    values = [
        {
            "issue_id": issue_id,
            "platform": channel.platform,
            "workspace": channel.workspace,
            "channel_id": channel.channel_id,
            "status": "pending",
            "attempts": 0,
        }
        for channel in await digest_channels(session)
    ]
    if values:
        await session.execute(
            insert_on_conflict(
                dialect_of(session),
                ChannelPost,
                values,
                conflict=["issue_id", "platform", "workspace", "channel_id"],
            )
        )


async def waiting_ids(
    session: AsyncSession,
    issue_id: int,
    platforms: Sequence[str],
    max_attempts: int,
    stale_after: timedelta,
) -> list[int]:
    """Rows still to post (in channel order), including claims abandoned by a dead run."""
    stale = utcnow() - stale_after
    rows = await session.scalars(
        select(ChannelPost.id)
        .where(
            ChannelPost.issue_id == issue_id,
            ChannelPost.platform.in_(platforms),
            ChannelPost.attempts < max_attempts,
            or_(
                ChannelPost.status.in_(RETRYABLE),
                (ChannelPost.status == "claimed") & (ChannelPost.claimed_at <= stale),
            ),
        )
        .order_by(ChannelPost.id)
    )
    return list(rows.all())


async def claim(
    session: AsyncSession, row_id: int, run_id: int, stale_after: timedelta
) -> PostTarget | None:
    """Take one row for this run; None when another run has it (or it is done)."""
    now = utcnow()
    before = await session.get(ChannelPost, row_id)
    if before is None:
        return None
    in_doubt = before.status == "claimed"
    result = await session.execute(
        update(ChannelPost)
        .execution_options(synchronize_session=False)
        .where(
            ChannelPost.id == row_id,
            or_(
                ChannelPost.status.in_(RETRYABLE),
                (ChannelPost.status == "claimed")
                & (ChannelPost.claimed_at <= now - stale_after)
                & (ChannelPost.claimed_by != run_id),
            ),
        )
        .values(status="claimed", claimed_by=run_id, claimed_at=now)
        .returning(ChannelPost.platform, ChannelPost.workspace, ChannelPost.channel_id)
    )
    found = result.first()
    if found is None:
        return None
    return PostTarget(row_id, found[0], found[1], found[2], in_doubt)


async def record(
    session: AsyncSession, row_id: int, run_id: int, status: str, error: str | None
) -> None:
    """The outcome of this run's attempt (ignored if the claim was taken over meanwhile)."""
    await session.execute(
        update(ChannelPost)
        .execution_options(synchronize_session=False)
        .where(ChannelPost.id == row_id, ChannelPost.claimed_by == run_id)
        .values(
            status=status,
            attempts=ChannelPost.attempts + 1,
            last_error=error,
            posted_at=utcnow() if status == "posted" else None,
        )
    )


async def post_counts(session: AsyncSession, issue_id: int) -> dict[tuple[str, str], int]:
    """(platform, status) -> rows, for one issue."""
    rows = await session.execute(
        select(ChannelPost.platform, ChannelPost.status, func.count())
        .where(ChannelPost.issue_id == issue_id)
        .group_by(ChannelPost.platform, ChannelPost.status)
    )
    return {(platform, status): int(n) for platform, status, n in rows.all()}


async def lost_channels(
    session: AsyncSession, issue_id: int, limit: int = 20
) -> list[tuple[str, str, str, str]]:
    """Channels of this issue the bot could no longer post in, with the reason."""
    rows = await session.execute(
        select(
            ChannelPost.platform,
            ChannelPost.workspace,
            ChannelPost.channel_id,
            func.coalesce(ChannelPost.last_error, ""),
        )
        .where(ChannelPost.issue_id == issue_id, ChannelPost.status == "lost")
        .order_by(ChannelPost.id)
        .limit(limit)
    )
    return [(p, w, c, e) for p, w, c, e in rows.all()]
