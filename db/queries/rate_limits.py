"""Per-person sliding-window limits kept in the database, so every process shares them.

Each admitted action is a row in rate_events; a person may have at most ``limit`` rows
of a scope in the last ``window_s`` seconds. On PostgreSQL the people are locked first
(advisory locks in id order, so two batches never deadlock and no row is written for
the lock), so two processes can't both see room for the last slot; SQLite writers are
serialized by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_sql import Statement
from db.engine import in_session
from db.models import RateEvent, utcnow
from db.queries.people import lock_people_sync

PRUNE_EVERY = 64
_calls = 0


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` actions per ``window_s`` seconds for each person."""

    limit: int = 10
    window_s: float = 10.0


async def admit(
    session: AsyncSession,
    scope: str,
    person_ids: Sequence[int],
    rule: RateLimit,
    *,
    now: datetime | None = None,
) -> list[bool]:
    """Whether each action (one per entry, in order) is within the person's limit.

    Admitted actions are recorded in the same transaction as the caller's write, so a
    refused or rolled-back action never uses up a slot.
    """
    if not person_ids:
        return []
    return await in_session(session, _admit, scope, list(person_ids), rule, now or utcnow())


def _admit(
    connection: Connection, scope: str, person_ids: list[int], rule: RateLimit, moment: datetime
) -> list[bool]:
    lock_people_sync(connection, person_ids)
    _generation, used = usage(connection, scope, person_ids, rule, now=moment)
    return record(connection, scope, person_ids, used, rule, now=moment)


def usage(
    connection: Connection,
    scope: str,
    person_ids: Iterable[int],
    rule: RateLimit | None,
    *,
    now: datetime,
) -> tuple[int, Counter[int]]:
    """(people generation, actions per person in the window): one statement for both.

    The caller holds the people's locks (db.queries.people.lock_people), so on
    PostgreSQL no other process can add to these counts before this transaction ends.
    """
    global _calls
    ids = sorted(set(person_ids))
    if rule is None or not ids:
        row = _GENERATION.first(connection)
        return (int(row[0] or 0) if row is not None else 0), Counter()
    cutoff = now - timedelta(seconds=rule.window_s)
    _calls += 1
    if _calls % PRUNE_EVERY == 0:
        # Old events are of no further use; clearing them now and then keeps the table at
        # about one window's worth of rows without a DELETE on every vote's hot path.
        connection.execute(delete(RateEvent).where(RateEvent.at <= cutoff))
    found = 0
    used: Counter[int] = Counter()
    rows = _USAGE.rows(connection, {"ids": ids, "scope": scope, "cutoff": cutoff})
    for person, n in rows:
        if person == -1:
            found = int(n)
        else:
            used[int(person)] = int(n)
    return found, used


# The people generation, and each person's actions in the window, in one statement.
_GENERATION = Statement("SELECT value FROM people_generation WHERE id = 1")
_USAGE = Statement(
    """
    SELECT -1 AS p, value AS n FROM people_generation WHERE id = 1
    UNION ALL
    SELECT person_id AS p, count(*) AS n FROM rate_events
    WHERE person_id IN :ids AND scope = :scope AND at > :cutoff
    GROUP BY person_id
    """,
    lists=["ids"],
)
_RECORD = Statement(
    "INSERT INTO rate_events (person_id, scope, at) VALUES (:person_id, :scope, :at)"
)


def admits(used: Counter[int], person_id: int, rule: RateLimit) -> bool:
    """Whether the person has room for one more action; taken from ``used`` if so."""
    if used[person_id] >= rule.limit:
        return False
    used[person_id] += 1
    return True


def record(
    connection: Connection,
    scope: str,
    person_ids: Sequence[int],
    used: Counter[int],
    rule: RateLimit | None,
    *,
    now: datetime,
) -> list[bool]:
    """Admit each action (in order) while its person has room; record the admitted ones."""
    if rule is None:
        return [True] * len(person_ids)
    allowed = [admits(used, person_id, rule) for person_id in person_ids]
    admitted = [
        {"person_id": p, "scope": scope, "at": now}
        for p, ok in zip(person_ids, allowed, strict=True)
        if ok
    ]
    # One executemany for the batch, not a statement per vote.
    _RECORD.many(connection, admitted)
    return allowed
