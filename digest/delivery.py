"""Sending one issue to every confirmed subscriber, exactly once per person.

Invariants:
- a delivery row exists per (issue, subscriber); it is ``sent`` only after the SMTP
  server answered 250 (or the outbox file is in place);
- a sender claims small batches (``sending``, ``claimed_by`` = its id) and records
  each message right after its answer, so a crash can repeat only messages in
  flight (one per connection);
- a claim whose owner died is taken over: on PostgreSQL the owner holds an advisory
  lock for as long as it runs (a dead process's lock vanishes with its connection);
  on SQLite (one machine) the owner's pid is checked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text, update

from bot import metrics
from db.digest_models import Delivery
from db.engine import Database
from db.models import utcnow
from digest.message import DigestMessages, Outgoing
from digest.senders import Outcome, Sender

log = logging.getLogger(__name__)
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


@dataclass
class SendSummary:
    total: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    suspended: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    # Why the run stopped early because the SMTP server itself was unusable, if it did.
    halted: str = ""

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.deferred + self.skipped

    @property
    def finished(self) -> bool:
        """Every waiting copy got a final answer (sent, failed or skipped)."""
        return not self.halted and not self.deferred


async def prepare_deliveries(database: Database, issue_id: int) -> int:
    """Create the missing rows (new confirmed subscribers) and re-queue deferred ones.

    Returns how many rows still wait to be sent.
    """
    async with database.write() as session:
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


async def delivery_counts(database: Database, issue_id: int) -> dict[str, int]:
    """How many deliveries of the issue are in each state."""
    async with database.read() as session:
        rows = await session.execute(
            text("SELECT status, count(*) FROM deliveries WHERE issue_id = :i GROUP BY status"),
            {"i": issue_id},
        )
        return {str(r[0]): int(r[1]) for r in rows}


class _Store:
    """Claims and records for one worker; one database connection each."""

    async def claim(self, limit: int) -> list[Claim]:
        raise NotImplementedError

    async def record(self, claim: Claim, outcome: Outcome) -> bool:
        """Store the outcome; True when the subscriber got suspended by it."""
        raise NotImplementedError

    async def release(self, claims: list[Claim]) -> None:
        """Hand back claims this worker will not send, for the next run or another sender."""
        raise NotImplementedError

    async def close(self) -> None:
        return None


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
RETURNING d.id, d.subscriber_id, s.email, s.status
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
RETURNING d.id, d.subscriber_id, s.email, s.status
"""
_RELEASE_PG = """
UPDATE deliveries SET status = 'pending', claimed_by = NULL, claimed_at = NULL
WHERE id = ANY($1::int[]) AND claimed_by = $2 AND status = 'sending'
"""
# A success ends a run of failures: one round trip, and the subscriber row is written
# only when it has failures to forget.
_PG_SENT = """
WITH d AS (
    UPDATE deliveries SET status = 'sent', sent_at = now(), last_error = NULL
    WHERE id = $1 RETURNING subscriber_id
)
UPDATE subscribers SET hard_failures = 0
FROM d WHERE subscribers.id = d.subscriber_id AND subscribers.hard_failures > 0
"""
_PG_OTHER = "UPDATE deliveries SET status = $2, last_error = $3 WHERE id = $1"
_PG_HARD_FAILURE = """
UPDATE subscribers SET hard_failures = hard_failures + 1,
    status = CASE WHEN hard_failures + 1 >= $2 AND status = 'confirmed' THEN 'suspended'
                  ELSE status END
WHERE id = $1 RETURNING status
"""


class _PgStore(_Store):
    """Raw asyncpg on the hot path: one round trip per message record, no ORM overhead."""

    def __init__(self, connection: Any, raw: Any, issue_id: int, sender_id: int) -> None:
        self._connection = connection
        self._pg = raw
        self.issue_id = issue_id
        self.sender_id = sender_id

    @classmethod
    async def open(cls, database: Database, issue_id: int, sender_id: int) -> _PgStore:
        connection = await database.engine.connect()
        raw = (await connection.get_raw_connection()).driver_connection
        return cls(connection, raw, issue_id, sender_id)

    async def claim(self, limit: int) -> list[Claim]:
        rows = await self._pg.fetch(_PG_CLAIM, self.issue_id, self.sender_id, limit)
        if not rows:
            rows = await self._pg.fetch(
                _PG_CLAIM_ORPHANS, self.issue_id, self.sender_id, SENDER_LOCK_CLASS, limit
            )
        return sorted((Claim(r[0], r[1], r[2], r[3]) for r in rows), key=lambda c: c.delivery_id)

    async def record(self, claim: Claim, outcome: Outcome) -> bool:
        if outcome.status == "sent":
            await self._pg.execute(_PG_SENT, claim.delivery_id)
            return False
        async with self._pg.transaction():
            await self._pg.execute(
                _PG_OTHER, claim.delivery_id, outcome.status, outcome.detail[:500]
            )
            if outcome.status != "failed":
                return False
            status = await self._pg.fetchval(
                _PG_HARD_FAILURE, claim.subscriber_id, HARD_FAILURES_TO_SUSPEND
            )
            return bool(status == "suspended")

    async def record_skipped(self, claim: Claim) -> None:
        await self._pg.execute(_PG_OTHER, claim.delivery_id, "skipped", claim.subscriber_status)

    async def release(self, claims: list[Claim]) -> None:
        await self._pg.execute(_RELEASE_PG, [c.delivery_id for c in claims], self.sender_id)

    async def close(self) -> None:
        await self._connection.close()


class _SqliteStore(_Store):
    """SQLite has one writer at a time; claims run inside BEGIN IMMEDIATE."""

    def __init__(self, database: Database, issue_id: int, sender_id: int) -> None:
        self.database = database
        self.issue_id = issue_id
        self.sender_id = sender_id

    async def claim(self, limit: int) -> list[Claim]:
        now = utcnow()
        query = (
            "SELECT d.id, d.claimed_by, d.claimed_at, d.subscriber_id, s.email, s.status "
            "FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = :issue AND d.status = :status ORDER BY d.id"
        )
        async with self.database.write() as session:
            pending = await session.execute(
                text(query + " LIMIT :n"), {"issue": self.issue_id, "status": "pending", "n": limit}
            )
            claims = [Claim(r[0], r[3], r[4], r[5]) for r in pending]
            if len(claims) < limit:
                held = await session.execute(
                    text(query), {"issue": self.issue_id, "status": "sending"}
                )
                orphans = [
                    Claim(r[0], r[3], r[4], r[5])
                    for r in held
                    if _sqlite_claim_is_dead(r[1], r[2], self.sender_id, now)
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

    async def record(self, claim: Claim, outcome: Outcome) -> bool:
        async with self.database.write() as session:
            if outcome.status == "sent":
                await session.execute(
                    text(
                        "UPDATE deliveries SET status = 'sent', sent_at = :now, last_error = NULL "
                        "WHERE id = :id"
                    ),
                    {"id": claim.delivery_id, "now": utcnow()},
                )
                await session.execute(
                    text(
                        "UPDATE subscribers SET hard_failures = 0 "
                        "WHERE id = :id AND hard_failures > 0"
                    ),
                    {"id": claim.subscriber_id},
                )
                return False
            await session.execute(
                text("UPDATE deliveries SET status = :s, last_error = :e WHERE id = :id"),
                {"id": claim.delivery_id, "s": outcome.status, "e": outcome.detail[:500]},
            )
            if outcome.status != "failed":
                return False
            status = await session.scalar(
                text(
                    "UPDATE subscribers SET hard_failures = hard_failures + 1, status = CASE "
                    "WHEN hard_failures + 1 >= :n AND status = 'confirmed' THEN 'suspended' "
                    "ELSE status END WHERE id = :id RETURNING status"
                ),
                {"id": claim.subscriber_id, "n": HARD_FAILURES_TO_SUSPEND},
            )
            return bool(status == "suspended")

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
    # SQLite sender ids embed the owner's pid (see _sender_id); same machine, so we can ask.
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


class _Halt:
    """Workers stop when the process is stopping or when one of them halted the run.

    Halting must not set the caller's event: that one means the whole process stops.
    """

    def __init__(self, stopping: asyncio.Event | None) -> None:
        self._stopping = stopping
        self._halted = False

    def is_set(self) -> bool:
        return self._halted or (self._stopping is not None and self._stopping.is_set())

    def set(self) -> None:
        self._halted = True


def _sender_id(database: Database) -> int:
    if database.is_sqlite:
        return (os.getpid() << 20) | secrets.randbelow(1 << 20)
    # Fits the int4 second key of pg_advisory_lock(int, int).
    return 1 + secrets.randbelow(2**31 - 2)


Progress = Callable[[SendSummary], None]


async def send_issue(
    database: Database,
    issue_id: int,
    sender: Sender,
    messages: DigestMessages,
    unsubscribe_url: Callable[[int], str],
    *,
    batch: int = 25,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> SendSummary:
    """Deliver every waiting copy of the issue; safe to run in several processes at once.

    When ``stop`` is set, each worker finishes the message it is sending, hands its other
    claims back and returns: a stopping process leaves nothing half-done. The same
    happens by itself when the SMTP server turns out unusable (``summary.halted``).
    """
    started = time.monotonic()
    summary = SendSummary(total=await prepare_deliveries(database, issue_id))
    sender_id = _sender_id(database)
    halt = _Halt(stop)
    liveness = None
    if not database.is_sqlite:
        liveness = await database.engine.connect()
        await liveness.execute(
            text("SELECT pg_advisory_lock(:a, :b)"), {"a": SENDER_LOCK_CLASS, "b": sender_id}
        )
    try:
        workers = [
            _worker(
                database,
                issue_id,
                sender_id,
                sender,
                messages,
                unsubscribe_url,
                batch,
                summary,
                progress,
                halt,
            )
            for _ in range(max(1, sender.concurrency))
        ]
        await asyncio.gather(*workers)
    finally:
        if liveness is not None:
            await liveness.close()
    summary.seconds = time.monotonic() - started
    metrics.DIGEST_SEND_SECONDS.observe(summary.seconds)
    return summary


async def _worker(
    database: Database,
    issue_id: int,
    sender_id: int,
    sender: Sender,
    messages: DigestMessages,
    unsubscribe_url: Callable[[int], str],
    batch: int,
    summary: SendSummary,
    progress: Progress | None,
    stop: _Halt,
) -> None:
    store: _PgStore | _SqliteStore
    if database.is_sqlite:
        store = _SqliteStore(database, issue_id, sender_id)
    else:
        store = await _PgStore.open(database, issue_id, sender_id)
    try:
        while not stop.is_set() and (claims := await store.claim(batch)):
            for index, claim in enumerate(claims):
                if stop.is_set():
                    await store.release(claims[index:])
                    break
                if claim.subscriber_status != "confirmed":
                    await store.record_skipped(claim)
                    summary.skipped += 1
                    continue
                message: Outgoing = await messages.build_async(
                    claim.email, unsubscribe_url(claim.subscriber_id), claim.subscriber_id
                )
                outcome = await sender.send(message)
                suspended = await store.record(claim, outcome)
                metrics.EMAILS.labels(outcome.status).inc()
                if outcome.status == "sent":
                    summary.sent += 1
                elif outcome.status == "failed":
                    summary.failed += 1
                    summary.suspended += int(suspended)
                    summary.errors.append(f"{claim.email}: {outcome.detail}")
                else:
                    summary.deferred += 1
                    summary.errors.append(f"{claim.email}: {outcome.detail}")
                if progress is not None:
                    progress(summary)
                if outcome.server_down and not stop.is_set():
                    # Every other message would fail the same way: stop, resume later.
                    summary.halted = outcome.detail
                    log.error("digest send stopped: %s", outcome.detail)
                    stop.set()
    finally:
        await store.close()
