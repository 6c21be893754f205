"""Slack requests already handled, so a retry (X-Slack-Retry-Num) or a replay has no effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection, delete

from db.direct_sql import Statement
from db.live_models import SlackRequestSeen
from db.models import utcnow

_RECORD_ONE = Statement(
    """
    INSERT INTO slack_requests_seen (request_key, seen_at) VALUES (:request_key, :seen_at)
    ON CONFLICT (request_key) DO NOTHING RETURNING request_key
    """
)


# The whole batch in one statement over an array, on the driver (db.direct_sql).
_RECORD_MANY_PG = Statement(
    """
    INSERT INTO slack_requests_seen (request_key, seen_at)
    SELECT k, CAST(:at AS timestamptz) FROM unnest(CAST(:keys AS text[])) AS k
    ON CONFLICT (request_key) DO NOTHING RETURNING request_key
    """
)


def first_sightings(connection: Connection, request_keys: Sequence[str]) -> set[str]:
    """Record the requests; returns the keys seen for the first time (the others are repeats).

    ``request_keys`` must be distinct: a key twice in one statement would read as new twice.
    """
    if not request_keys:
        return set()
    moment = utcnow()
    if connection.dialect.name == "sqlite":
        # On the driver, a statement per key costs less than one multi-row statement
        # through SQLAlchemy (db.direct_sql); SQLite has no round trip to save.
        return {
            key
            for key in request_keys
            if _RECORD_ONE.first(connection, {"request_key": key, "seen_at": moment})
        }
    rows = _RECORD_MANY_PG.rows(connection, {"keys": list(request_keys), "at": moment})
    return {row[0] for row in rows}


def forget_older_than(connection: Connection, age: timedelta) -> int:
    """Drop keys past the window in which Slack retries (and a signature stays valid)."""
    result = connection.execute(
        delete(SlackRequestSeen).where(SlackRequestSeen.seen_at < utcnow() - age)
    )
    return int(getattr(result, "rowcount", 0) or 0)
