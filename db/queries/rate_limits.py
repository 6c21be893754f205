"""Per-person sliding-window limits kept in the database, so every process shares them.

Each admitted action is a row in rate_events; a person may have at most ``limit`` rows
of a scope in the last ``window_s`` seconds. On PostgreSQL the person rows are locked
(in id order, so two batches never deadlock) before counting, so two processes can't
both see room for the last slot; SQLite writers are serialized by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person, RateEvent, utcnow

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
    moment = now or utcnow()
    cutoff = moment - timedelta(seconds=rule.window_s)
    ids = sorted(set(person_ids))
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "postgresql":
        await session.execute(
            select(Person.id).where(Person.id.in_(ids)).order_by(Person.id).with_for_update()
        )
    global _calls
    _calls += 1
    if _calls % PRUNE_EVERY == 0:
        # Old events are of no further use; clearing them now and then keeps the table at
        # about one window's worth of rows without a DELETE on every vote's hot path.
        await session.execute(delete(RateEvent).where(RateEvent.at <= cutoff))
    rows = await session.execute(
        select(RateEvent.person_id, func.count())
        .where(RateEvent.person_id.in_(ids), RateEvent.scope == scope, RateEvent.at > cutoff)
        .group_by(RateEvent.person_id)
    )
    used: Counter[int] = Counter({int(r[0]): int(r[1]) for r in rows})
    allowed: list[bool] = []
    for person_id in person_ids:
        ok = used[person_id] < rule.limit
        if ok:
            used[person_id] += 1
        allowed.append(ok)
    admitted = [
        {"person_id": p, "scope": scope, "at": moment}
        for p, ok in zip(person_ids, allowed, strict=True)
        if ok
    ]
    if admitted:
        await session.execute(insert(RateEvent), admitted)
    return allowed
