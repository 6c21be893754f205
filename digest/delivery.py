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

from bot import metrics
from db.engine import Database
from db.queries import deliveries
from db.queries.deliveries import HARD_FAILURES_TO_SUSPEND, SENDER_LOCK_CLASS, Claim
from digest.message import DigestMessages, Outgoing, PersonalBlock
from digest.personal import PersonalBlocks
from digest.senders import Sender

log = logging.getLogger(__name__)
# The statements (claims, records, the advisory lock) live in db/queries/deliveries.py.
__all__ = [
    "HARD_FAILURES_TO_SUSPEND",
    "SENDER_LOCK_CLASS",
    "Claim",
    "Progress",
    "SendSummary",
    "delivery_counts",
    "prepare_deliveries",
    "send_issue",
]


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
    # Why the issue was not mailed at all (a quiet week), if it was not.
    not_mailed: str = ""

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
        return await deliveries.prepare(session, issue_id)


async def delivery_counts(database: Database, issue_id: int) -> dict[str, int]:
    """How many deliveries of the issue are in each state."""
    async with database.read() as session:
        return await deliveries.counts_by_status(session, issue_id)


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
    unsubscribe_url: Callable[[str], str],
    *,
    batch: int = 25,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    blocks: PersonalBlocks | None = None,
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
        liveness = await deliveries.hold_sender_lock(database, sender_id)
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
                blocks,
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
    unsubscribe_url: Callable[[str], str],
    batch: int,
    summary: SendSummary,
    progress: Progress | None,
    stop: _Halt,
    blocks: PersonalBlocks | None,
) -> None:
    store = await deliveries.open_store(database, issue_id, sender_id)
    try:
        while not stop.is_set() and (claims := await store.claim(batch)):
            # One bookmark look-up for the whole batch, not one per message.
            personal: dict[str, PersonalBlock | None] = {}
            if blocks is not None:
                personal = await blocks.for_addresses(
                    c.email for c in claims if c.subscriber_status == "confirmed"
                )
            for index, claim in enumerate(claims):
                if stop.is_set():
                    await store.release(claims[index:])
                    break
                if claim.subscriber_status != "confirmed":
                    await store.record_skipped(claim)
                    summary.skipped += 1
                    continue
                message: Outgoing = await messages.build_async(
                    claim.email,
                    unsubscribe_url(claim.link_key),
                    claim.subscriber_id,
                    link_key=claim.link_key,
                    block=personal.get(claim.email),
                )
                outcome = await sender.send(message)
                suspended = await store.record(claim, outcome.status, outcome.detail)
                metrics.EMAILS.labels("digest", outcome.status).inc()
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
