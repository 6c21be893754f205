"""Digest subscribers: lookups by address, import checks, export and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.digest_models import Delivery, Subscriber

# Bound parameters per IN (...) list, well under every driver's limit.
_CHUNK = 500


class SubscriberExport(NamedTuple):
    email: str
    status: str
    source: str
    created_at: datetime | None


async def subscriber_by_email(session: AsyncSession, address: str) -> Subscriber | None:
    result = await session.scalars(select(Subscriber).where(Subscriber.email == address))
    return result.first()


async def subscriber_by_link_key(session: AsyncSession, link_key: str) -> Subscriber | None:
    result = await session.scalars(select(Subscriber).where(Subscriber.link_key == link_key))
    return result.first()


async def known_emails(session: AsyncSession, addresses: Sequence[str]) -> set[str]:
    """Which of ``addresses`` are subscribers already (any status)."""
    found: set[str] = set()
    for i in range(0, len(addresses), _CHUNK):
        chunk = list(addresses[i : i + _CHUNK])
        rows = await session.scalars(select(Subscriber.email).where(Subscriber.email.in_(chunk)))
        found.update(rows.all())
    return found


async def all_for_export(session: AsyncSession) -> list[SubscriberExport]:
    rows = await session.execute(
        select(
            Subscriber.email, Subscriber.status, Subscriber.source, Subscriber.created_at
        ).order_by(Subscriber.id)
    )
    return [SubscriberExport(r[0], r[1], r[2], r[3]) for r in rows]


async def erase_subscriber(session: AsyncSession, subscriber_id: int) -> None:
    """Delete the person; unsent copies become skipped, sent ones stay counted, unnamed."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.status.in_(("pending", "sending", "deferred")),
        )
        .values(status="skipped")
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id)
        .values(subscriber_id=None, last_error=None)
    )
    await session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
