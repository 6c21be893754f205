"""A Slack click or command has one effect, however often it arrives.

Slack retries a request it thinks failed (``X-Slack-Retry-Num``) and a captured
signed body can be replayed within the signature's five minutes. Each command and
click carries a ``trigger_id`` of its own (and each click an ``action_ts``), so their
digest identifies the request; the first sighting is recorded in the database, which
all processes share, and any later one is dropped. Sightings that arrive together are
recorded in one transaction (db.batching): under load one write per request was what
the single SQLite writer queued on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from db.batching import Batcher
from db.engine import Database
from db.queries.slack_requests import first_sightings, forget_older_than

log = logging.getLogger(__name__)
# Slack retries within minutes and signatures expire after five; an hour is ample.
KEEP = timedelta(hours=1)
PURGE_EVERY_S = 600.0


def request_key(body: dict[str, Any]) -> str | None:
    """The request's identity, or None when it carries nothing to tell it apart by."""
    trigger = body.get("trigger_id")
    if not trigger:
        return None
    action = (body.get("actions") or [{}])[0]
    user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
    parts = [str(body.get("type") or body.get("command") or ""), str(trigger), str(user)]
    parts.append(str(action.get("action_ts") or "") + str(action.get("action_id") or ""))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Replays:
    """``await replays.first_time(body)``: True once per request."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._purged_at = 0.0
        # A key twice in one batch waits for the next, where it reads as a repeat.
        self._sightings: Batcher[str, bool] = Batcher(self._record, key=lambda k: k)

    async def first_time(self, body: dict[str, Any]) -> bool:
        key = request_key(body)
        if key is None:
            return True
        fresh = await self._sightings.submit(key)
        if not fresh:
            log.info("dropped a retried or replayed Slack request")
        return fresh

    async def _record(self, keys: list[str]) -> list[bool]:
        if time.monotonic() - self._purged_at > PURGE_EVERY_S:
            self._purged_at = time.monotonic()
            new = await self.database.run_write(_record_and_purge, keys)
        else:
            # One statement: committed by itself (no BEGIN and COMMIT on PostgreSQL).
            new = await self.database.run_autocommit(first_sightings, keys)
        return [key in new for key in keys]


def _record_and_purge(connection: Connection, keys: list[str]) -> set[str]:
    new = first_sightings(connection, keys)
    forget_older_than(connection, KEEP)
    return new
