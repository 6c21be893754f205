"""Delivery rows: creating them for an issue, claiming batches, recording each answer.

The claim/record statements come in two stores because the two databases take over
a dead sender's claims differently (see the invariants at the top of digest/delivery.py):
PostgreSQL asks pg_locks for live senders' advisory locks, SQLite checks the owner's pid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.digest_models import Delivery
from db.engine import Database
from db.models import utcnow

# First key of the two-key advisory locks that mark live senders.
SENDER_LOCK_CLASS = 0x5D16
HARD_FAILURES_TO_SUSPEND = 3
SQLITE_LEASE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    subscriber_id: int
    email: str
    subscriber_status: str
    link_key: str


async def prepare(session: AsyncSession, issue_id: int) -> int:
    """Add rows for new confirmed subscribers, re-queue deferred ones; how many wait."""
    await session.execute(
        text(
            "INSERT INTO deliveries (issue_id, subscriber_id, status, attempts) "
            "SELECT :issue, id, 'pending', 0 FROM subscribers WHERE status = 'confirmed' "
            "ON CONFLICT (issue_id, subscriber_id) DO NOTHING"
        ),
        {"issue": issue_id},
    )
    await session.execute(
        text(
            "UPDATE deliveries SET status = 'pending' "
            "WHERE issue_id = :issue AND status = 'deferred'"
        ),
        {"issue": issue_id},
    )
    waiting = await session.scalar(
        text(
            "SELECT count(*) FROM deliveries WHERE issue_id = :issue "
            "AND status IN ('pending', 'sending')"
        ),
        {"issue": issue_id},
    )
    return int(waiting or 0)


async def counts_by_status(session: AsyncSession, issue_id: int) -> dict[str, int]:
    """How many deliveries of the issue are in each state."""
    rows = await session.execute(
        text("SELECT status, count(*) FROM deliveries WHERE issue_id = :i GROUP BY status"),
        {"i": issue_id},
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def hold_sender_lock(database: Database, sender_id: int) -> AsyncConnection:
    """PostgreSQL: take this sender's advisory lock on a connection of its own.

    The lock lasts while the connection is open; close it when the run ends (or let
    the process die), and other senders may take over its claims.
    """
    liveness = await database.engine.connect()
    await liveness.execute(
        text("SELECT pg_advisory_lock(:a, :b)"), {"a": SENDER_LOCK_CLASS, "b": sender_id}
    )
    return liveness


class DeliveryStore:
    """Claims and records for one worker; one database connection each."""

    async def claim(self, limit: int) -> list[Claim]:
        raise NotImplementedError

    async def record(self, claim: Claim, status: str, detail: str) -> bool:
        """Store the answer (sent, failed, deferred); True when it suspended the subscriber."""
        raise NotImplementedError

    async def record_skipped(self, claim: Claim) -> None:
        raise NotImplementedError

    async def release(self, claims: list[Claim]) -> None:
        """Hand back claims this worker will not send, for the next run or another sender."""
        raise NotImplementedError

    async def close(self) -> None:
        return None


async def open_store(database: Database, issue_id: int, sender_id: int) -> DeliveryStore:
    if database.is_sqlite:
        return SqliteDeliveryStore(database, issue_id, sender_id)
    return await PgDeliveryStore.open(database, issue_id, sender_id)


# Waiting rows first: a plain index range, skipping rows other senders hold right now.
_PG_CLAIM = """
UPDATE deliveries AS d
SET status = 'sending', claimed_by = $2, claimed_at = now(), attempts = d.attempts + 1
FROM subscribers AS s
WHERE s.id = d.subscriber_id AND d.id IN (
    SELECT c.id FROM deliveries AS c
    WHERE c.issue_id = $1 AND c.status = 'pending'
    ORDER BY c.id LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.subscriber_id, s.email, s.status, s.link_key
"""
# Then rows claimed by senders that are gone: their advisory lock vanished with them.
_PG_CLAIM_ORPHANS = """
WITH live AS (
    SELECT l.objid::bigint AS sender FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.classid = $3 AND l.objsubid = 2 AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
UPDATE deliveries AS d
SET status = 'sending', claimed_by = $2, claimed_at = now(), attempts = d.attempts + 1
FROM subscribers AS s
WHERE s.id = d.subscriber_id AND d.id IN (
    SELECT c.id FROM deliveries AS c
    WHERE c.issue_id = $1 AND c.status = 'sending'
      AND c.claimed_by NOT IN (SELECT sender FROM live)
    ORDER BY c.id LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.subscriber_id, s.email, s.status, s.link_key
"""
_RELEASE_PG = """
UPDATE deliveries SET status = 'pending', claimed_by = NULL, claimed_at = NULL
WHERE id = ANY($1::int[]) AND claimed_by = $2 AND status = 'sending'
"""
_PG_SENT = "UPDATE deliveries SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1"
_PG_OTHER = "UPDATE deliveries SET status = $2, last_error = $3 WHERE id = $1"
_PG_HARD_FAILURE = """
UPDATE subscribers SET hard_failures = hard_failures + 1,
    status = CASE WHEN hard_failures + 1 >= $2 AND status = 'confirmed' THEN 'suspended'
                  ELSE status END
WHERE id = $1 RETURNING status
"""


class PgDeliveryStore(DeliveryStore):
    """Raw asyncpg on the hot path: one round trip per message record, no ORM overhead."""

    def __init__(self, connection: Any, raw: Any, issue_id: int, sender_id: int) -> None:
        self._connection = connection
        self._pg = raw
        self.issue_id = issue_id
        self.sender_id = sender_id

    @classmethod
    async def open(cls, database: Database, issue_id: int, sender_id: int) -> PgDeliveryStore:
        connection = await database.engine.connect()
        raw = (await connection.get_raw_connection()).driver_connection
        return cls(connection, raw, issue_id, sender_id)

    async def claim(self, limit: int) -> list[Claim]:
        rows = await self._pg.fetch(_PG_CLAIM, self.issue_id, self.sender_id, limit)
        if not rows:
            rows = await self._pg.fetch(
                _PG_CLAIM_ORPHANS, self.issue_id, self.sender_id, SENDER_LOCK_CLASS, limit
            )
        return sorted(
            (Claim(r[0], r[1], r[2], r[3], r[4]) for r in rows), key=lambda c: c.delivery_id
        )

    async def record(self, claim: Claim, status: str, detail: str) -> bool:
        if status == "sent":
            await self._pg.execute(_PG_SENT, claim.delivery_id)
            return False
        async with self._pg.transaction():
            await self._pg.execute(_PG_OTHER, claim.delivery_id, status, detail[:500])
            if status != "failed":
                return False
            result = await self._pg.fetchval(
                _PG_HARD_FAILURE, claim.subscriber_id, HARD_FAILURES_TO_SUSPEND
            )
            return bool(result == "suspended")

    async def record_skipped(self, claim: Claim) -> None:
        await self._pg.execute(_PG_OTHER, claim.delivery_id, "skipped", claim.subscriber_status)

    async def release(self, claims: list[Claim]) -> None:
        await self._pg.execute(_RELEASE_PG, [c.delivery_id for c in claims], self.sender_id)

    async def close(self) -> None:
        await self._connection.close()


_SQLITE_CLAIMABLE = (
    "SELECT d.id, d.claimed_by, d.claimed_at, d.subscriber_id, s.email, s.status, "
    "s.link_key "
    "FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
    "WHERE d.issue_id = :issue AND d.status = :status ORDER BY d.id"
)


class SqliteDeliveryStore(DeliveryStore):
    """SQLite has one writer at a time; claims run inside BEGIN IMMEDIATE."""

    def __init__(self, database: Database, issue_id: int, sender_id: int) -> None:
        self.database = database
        self.issue_id = issue_id
        self.sender_id = sender_id

    async def claim(self, limit: int) -> list[Claim]:
        now = utcnow()
        async with self.database.write() as session:
            pending = await session.execute(
                text(_SQLITE_CLAIMABLE + " LIMIT :n"),
                {"issue": self.issue_id, "status": "pending", "n": limit},
            )
            claims = [Claim(r.id, r.subscriber_id, r.email, r.status, r.link_key) for r in pending]
            if len(claims) < limit:
                held = await session.execute(
                    text(_SQLITE_CLAIMABLE), {"issue": self.issue_id, "status": "sending"}
                )
                orphans = [
                    Claim(r.id, r.subscriber_id, r.email, r.status, r.link_key)
                    for r in held
                    if _sqlite_claim_is_dead(r.claimed_by, r.claimed_at, self.sender_id, now)
                ]
                claims.extend(orphans[: limit - len(claims)])
            if claims:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_([c.delivery_id for c in claims]))
                    .values(
                        status="sending",
                        claimed_by=self.sender_id,
                        claimed_at=now,
                        attempts=Delivery.attempts + 1,
                    )
                )
        return claims

    async def record(self, claim: Claim, status: str, detail: str) -> bool:
        async with self.database.write() as session:
            if status == "sent":
                await session.execute(
                    text(
                        "UPDATE deliveries SET status = 'sent', sent_at = :now, last_error = NULL "
                        "WHERE id = :id"
                    ),
                    {"id": claim.delivery_id, "now": utcnow()},
                )
                return False
            await session.execute(
                text("UPDATE deliveries SET status = :s, last_error = :e WHERE id = :id"),
                {"id": claim.delivery_id, "s": status, "e": detail[:500]},
            )
            if status != "failed":
                return False
            result = await session.scalar(
                text(
                    "UPDATE subscribers SET hard_failures = hard_failures + 1, status = CASE "
                    "WHEN hard_failures + 1 >= :n AND status = 'confirmed' THEN 'suspended' "
                    "ELSE status END WHERE id = :id RETURNING status"
                ),
                {"id": claim.subscriber_id, "n": HARD_FAILURES_TO_SUSPEND},
            )
            return bool(result == "suspended")

    async def release(self, claims: list[Claim]) -> None:
        async with self.database.write() as session:
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_([c.delivery_id for c in claims]),
                    Delivery.claimed_by == self.sender_id,
                    Delivery.status == "sending",
                )
                .values(status="pending", claimed_by=None, claimed_at=None)
            )

    async def record_skipped(self, claim: Claim) -> None:
        async with self.database.write() as session:
            await session.execute(
                text("UPDATE deliveries SET status = 'skipped', last_error = :e WHERE id = :id"),
                {"id": claim.delivery_id, "e": claim.subscriber_status},
            )


def _sqlite_claim_is_dead(owner: Any, claimed_at: Any, me: int, now: Any) -> bool:
    if owner is None:
        return True
    owner = int(owner)
    if owner == me:
        return False
    # SQLite sender ids embed the owner's pid (see digest.delivery._sender_id); same
    # machine, so we can ask.
    pid = owner >> 20
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    if claimed_at is None:
        return True
    claimed = datetime.fromisoformat(claimed_at) if isinstance(claimed_at, str) else claimed_at
    return bool(now.replace(tzinfo=None) - claimed.replace(tzinfo=None) > SQLITE_LEASE)
