"""Posts of a digest issue into opted-in chat channels: one row per (issue, channel)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.digest_models import ChannelPost
from db.models import utcnow
from db.queries.upsert import dialect_of, insert_on_conflict


class ChannelKey(NamedTuple):
    platform: str
    workspace: str
    channel_id: str


class PostRow(NamedTuple):
    id: int
    platform: str
    workspace: str
    channel_id: str
    status: str


def _row(post: ChannelPost) -> PostRow:
    return PostRow(post.id, post.platform, post.workspace, post.channel_id, post.status)


async def add_missing_posts(
    session: AsyncSession, issue_id: int, channels: Iterable[ChannelKey]
) -> None:
    """A pending row per channel; rows that exist (another process added them) stay."""
    values = [
        {
            "issue_id": issue_id,
            "platform": c.platform,
            "workspace": c.workspace,
            "channel_id": c.channel_id,
            "status": "pending",
            "attempts": 0,
        }
        for c in channels
    ]
    if not values:
        return
    statement = insert_on_conflict(
        dialect_of(session),
        ChannelPost,
        values,
        conflict=["issue_id", "platform", "workspace", "channel_id"],
    )
    await session.execute(statement)


async def posts_of_issue(session: AsyncSession, issue_id: int) -> list[PostRow]:
    rows = await session.scalars(
        select(ChannelPost).where(ChannelPost.issue_id == issue_id).order_by(ChannelPost.id)
    )
    return [_row(p) for p in rows]


async def posts_to_retry(session: AsyncSession, issue_id: int, max_attempts: int) -> list[PostRow]:
    """Rows not posted yet that have attempts left."""
    rows = await session.scalars(
        select(ChannelPost)
        .where(
            ChannelPost.issue_id == issue_id,
            ChannelPost.status != "posted",
            ChannelPost.attempts < max_attempts,
        )
        .order_by(ChannelPost.id)
    )
    return [_row(p) for p in rows]


async def record_post(session: AsyncSession, post_id: int, error: str | None) -> None:
    """Count the attempt; posted when ``error`` is None, else failed with the reason."""
    stored = await session.get(ChannelPost, post_id)
    if stored is None:
        return
    stored.attempts += 1
    if error is None:
        stored.status, stored.posted_at, stored.last_error = "posted", utcnow(), None
    else:
        stored.status, stored.last_error = "failed", error
