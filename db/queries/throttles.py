"""Throttles kept in the database, so every process counts the same events.

A bucket names what is counted (confirmations to an address, sign-ups from an IP or a
chat user); each event is one row, kept only as long as the longest window needs it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.digest_models import SendThrottle, UsedNonce

# Any fixed number: the first key of pg_advisory_xact_lock(int, int) for throttle keys.
_PG_THROTTLE_LOCK = 0x7407
NONCE_KEEP = timedelta(hours=2)
PURGE_ONE_IN = 200


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` events in any ``span``."""

    limit: int
    span: timedelta


async def take(
    session: AsyncSession, bucket: str, key: str, windows: Sequence[Window], now: datetime
) -> bool:
    """Record one event for (bucket, key) if every window has room; False leaves no trace.

    Callers hold a write transaction: on SQLite that is already the one writer; on
    PostgreSQL an advisory lock per key makes count-then-insert atomic across processes.
    """
    key = key[:400]
    await hold(session, bucket, key)
    longest = max(window.span for window in windows)
    mine = (SendThrottle.bucket == bucket, SendThrottle.key == key)
    await session.execute(delete(SendThrottle).where(*mine, SendThrottle.at < now - longest))
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        # Now and then, the expired events of keys that never came back (old IPs).
        await session.execute(
            delete(SendThrottle).where(
                SendThrottle.bucket == bucket, SendThrottle.at < now - longest
            )
        )
    times = list(await session.scalars(select(SendThrottle.at).where(*mine)))
    for window in windows:
        since = now - window.span
        if sum(1 for at in times if _aware(at) >= since) >= window.limit:
            return False
    session.add(SendThrottle(bucket=bucket, key=key, at=now))
    await session.flush()
    return True


async def hold(session: AsyncSession, bucket: str, key: str) -> None:
    """Serialise work on (bucket, key) until the transaction ends; taking it twice is fine.

    SQLite writers are serialised already (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))"),
            {"cls": _PG_THROTTLE_LOCK, "key": f"{bucket}:{key[:400]}"},
        )


async def spend_nonce(session: AsyncSession, nonce: str, now: datetime) -> bool:
    """Mark a form nonce used; False when it was used before."""
    await session.execute(delete(UsedNonce).where(UsedNonce.used_at < now - NONCE_KEEP))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(UsedNonce).values(nonce=nonce[:64], used_at=now).on_conflict_do_nothing()
    )
    return bool(getattr(result, "rowcount", 0))


async def count_events(session: AsyncSession, bucket: str, key: str) -> int:
    """Events on record for (bucket, key); for tests and the operator."""
    found = await session.scalar(
        select(func.count(SendThrottle.id)).where(
            SendThrottle.bucket == bucket, SendThrottle.key == key[:400]
        )
    )
    return int(found or 0)


def _aware(at: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; every one we store is UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
