"""Channels that opted in to the weekly digest post."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelSubscription


async def set_channel_digest(
    session: AsyncSession,
    platform: str,
    workspace: str,
    channel_id: str,
    user_id: str,
    *,
    enable: bool,
) -> bool:
    """Turn the digest on or off for a channel; returns whether anything changed."""
    where = (
        ChannelSubscription.platform == platform,
        ChannelSubscription.workspace == workspace,
        ChannelSubscription.channel_id == channel_id,
    )
    existing = await session.scalar(select(ChannelSubscription.id).where(*where))
    if enable:
        if existing is not None:
            return False
        session.add(
            ChannelSubscription(
                platform=platform, workspace=workspace, channel_id=channel_id, added_by=user_id
            )
        )
        return True
    if existing is None:
        return False
    await session.execute(delete(ChannelSubscription).where(*where))
    return True


async def digest_channels(
    session: AsyncSession, platform: str | None = None
) -> list[ChannelSubscription]:
    query = select(ChannelSubscription).order_by(ChannelSubscription.id)
    if platform:
        query = query.where(ChannelSubscription.platform == platform)
    return list((await session.scalars(query)).all())
