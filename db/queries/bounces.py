"""Bounce and complaint records, the suspensions they cause, and the rates `status` shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import utcnow

SOFT_BOUNCES_TO_SUSPEND = 3


@dataclass(frozen=True, slots=True)
class IssueRates:
    week: str
    sent: int
    hard: int
    soft: int
    complaints: int


async def subscriber_by_email(session: AsyncSession, email: str) -> int | None:
    found = await session.scalar(
        text("SELECT id FROM subscribers WHERE lower(email) = lower(:e)"), {"e": email}
    )
    return None if found is None else int(found)


async def latest_sent_issue(session: AsyncSession, subscriber_id: int) -> int | None:
    """The last issue mailed to the subscriber: what a report without a token is about."""
    found = await session.scalar(
        text("SELECT max(issue_id) FROM deliveries WHERE subscriber_id = :s AND status = 'sent'"),
        {"s": subscriber_id},
    )
    return None if found is None else int(found)


async def record_bounce(
    session: AsyncSession,
    *,
    subscriber_id: int,
    issue_id: int | None,
    kind: str,
    status_code: str,
    source: str,
    detail: str,
) -> bool:
    """Store the event and suspend when due; True when this event suspended the subscriber.

    Hard bounces and complaints suspend at once. Soft bounces suspend when the last
    three issues sent to the subscriber (up to this one) all soft-bounced: an issue
    that went out and did not bounce is the success that ends a run.
    """
    inserted = await session.execute(
        text(
            "INSERT INTO bounce_events "
            "(subscriber_id, issue_id, kind, status_code, source, detail, created_at, suspended) "
            "SELECT s.id, (SELECT i.id FROM digest_issues i WHERE i.id = :i), :k, :c, :src, "
            ":d, :now, 0 FROM subscribers s WHERE s.id = :s RETURNING id"
        ),
        {
            "s": subscriber_id,
            "i": issue_id,
            "k": kind,
            "c": status_code[:16],
            "src": source[:8],
            "d": detail[:500],
            "now": utcnow(),
        },
    )
    event_id = inserted.scalar()
    if event_id is None:
        return False  # the subscriber was deleted meanwhile
    if kind == "soft" and not await _soft_run_complete(session, subscriber_id, issue_id):
        return False
    suspended = await session.execute(
        text(
            "UPDATE subscribers SET status = 'suspended' "
            "WHERE id = :s AND status IN ('confirmed', 'pending') RETURNING id"
        ),
        {"s": subscriber_id},
    )
    if suspended.scalar() is None:
        return False
    await session.execute(
        text("UPDATE bounce_events SET suspended = 1 WHERE id = :id"), {"id": event_id}
    )
    return True


async def _soft_run_complete(
    session: AsyncSession, subscriber_id: int, issue_id: int | None
) -> bool:
    rows = await session.execute(
        text(
            "SELECT d.issue_id, EXISTS (SELECT 1 FROM bounce_events b "
            "  WHERE b.subscriber_id = d.subscriber_id AND b.issue_id = d.issue_id "
            "  AND b.kind = 'soft') "
            "FROM deliveries d WHERE d.subscriber_id = :s AND d.status = 'sent' "
            "AND (CAST(:i AS INTEGER) IS NULL OR d.issue_id <= CAST(:i AS INTEGER)) "
            "ORDER BY d.issue_id DESC LIMIT :n"
        ),
        {"s": subscriber_id, "i": issue_id, "n": SOFT_BOUNCES_TO_SUSPEND},
    )
    bounced = [bool(r[1]) for r in rows]
    return len(bounced) == SOFT_BOUNCES_TO_SUSPEND and all(bounced)


async def bounce_rates(session: AsyncSession, limit: int = 5) -> list[IssueRates]:
    """Per recent issue: copies sent, and subscribers that hard/soft bounced or complained."""
    rows = await session.execute(
        text(
            "SELECT i.week, "
            "(SELECT count(*) FROM deliveries d WHERE d.issue_id = i.id AND d.status = 'sent'), "
            "(SELECT count(DISTINCT b.subscriber_id) FROM bounce_events b "
            "  WHERE b.issue_id = i.id AND b.kind = 'hard'), "
            "(SELECT count(DISTINCT b.subscriber_id) FROM bounce_events b "
            "  WHERE b.issue_id = i.id AND b.kind = 'soft'), "
            "(SELECT count(DISTINCT b.subscriber_id) FROM bounce_events b "
            "  WHERE b.issue_id = i.id AND b.kind = 'complaint') "
            "FROM digest_issues i ORDER BY i.week DESC LIMIT :n"
        ),
        {"n": limit},
    )
    return [IssueRates(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
