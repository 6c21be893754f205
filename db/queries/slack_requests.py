"""Slack requests already handled, so a retry (X-Slack-Retry-Num) or a replay has no effect."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete

from db.direct_sql import Statement
from db.live_models import SlackRequestSeen
from db.models import utcnow
from db.queries.upsert import insert_on_conflict


@functools.cache
def _record_statement(dialect: str) -> Any:
    """Built once per dialect; the keys are its parameters (one multi-row INSERT)."""
    return insert_on_conflict(dialect, SlackRequestSeen, None, conflict=["request_key"]).returning(
        SlackRequestSeen.request_key
    )


_RECORD_ONE = Statement(
    """
    INSERT INTO slack_requests_seen (request_key, seen_at) VALUES (:request_key, :seen_at)
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
    result = connection.execute(
        _record_statement(connection.dialect.name),
        [{"request_key": key, "seen_at": moment} for key in request_keys],
    )
    return {row.request_key for row in result}


def forget_older_than(connection: Connection, age: timedelta) -> int:
    """Drop keys past the window in which Slack retries (and a signature stays valid)."""
    result = connection.execute(
        delete(SlackRequestSeen).where(SlackRequestSeen.seen_at < utcnow() - age)
    )
    return int(getattr(result, "rowcount", 0) or 0)
