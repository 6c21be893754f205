"""Community tallies served from memory, kept true across processes by the tally clock.

Every card shows ship/skip counts; counting them in the database for every card was
the largest part of a card's cost. The board keeps the counts per tool and asks the
database only (a) for tools it has not seen and (b) for tools whose votes changed:
every vote write bumps the one-row ``tally_clock`` in its own transaction and marks its
tools in ``tally_changes`` (db/queries/tally_clock.py). At most every ``max_age_s`` a
read looks at the clock; when it moved, only the changed tools are dropped and counted
again. So a vote cast through another process shows here within ``max_age_s``; a vote
cast through this process shows at once (``note``).

Chosen over PostgreSQL LISTEN/NOTIFY because it works the same on SQLite, needs no
extra connection held open per process, and a missed notification can't leave a
count wrong for ever: the clock is always read from the table itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from sqlalchemy import Connection

from db.engine import Database
from db.queries import tally_clock
from db.queries import votes as vote_queries
from db.queries.votes import Tally

MAX_AGE_S = 0.1
MAX_TOOLS = 20_000


class TallyBoard:
    """``await board.tallies(ids)``: counts per tool, from memory when still true."""

    def __init__(
        self, database: Database, *, max_age_s: float = MAX_AGE_S, max_tools: int = MAX_TOOLS
    ) -> None:
        self.database = database
        self.max_age_s = max_age_s
        self.max_tools = max_tools
        self._counts: dict[int, Tally] = {}
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._checking: asyncio.Future[None] | None = None
        # Bumped whenever a count is dropped or set: a database read that started
        # before must not store what it read (it may predate the change).
        self._serial = 0

    async def tallies(self, tool_ids: Iterable[int]) -> dict[int, Tally]:
        ids = list(tool_ids)
        if not ids:
            return {}
        await self._follow_clock()
        # Taken before any await: a concurrent forget() must not pull counts from under us.
        known = {i: self._counts[i] for i in ids if i in self._counts}
        missing = [i for i in ids if i not in known]
        if not missing:
            return known
        serial = self._serial
        read = await self.database.run_read(vote_queries.count_tallies, missing)
        if serial == self._serial:
            if len(self._counts) + len(read) > self.max_tools:
                self._counts.clear()
            self._counts.update(read)
        return {i: known[i] if i in known else read[i] for i in ids}

    def note(self, tool_id: int, tally: Tally) -> None:
        """The count after a vote this process wrote (read after its commit)."""
        self._serial += 1
        self._counts[tool_id] = tally

    def forget(self, tool_ids: Iterable[int] | None = None) -> None:
        """Drop counts (all when ``tool_ids`` is None): the next read counts them again."""
        self._serial += 1
        if tool_ids is None:
            self._counts.clear()
            return
        for tool_id in tool_ids:
            self._counts.pop(tool_id, None)

    def follow_clock_now(self) -> None:
        """The next read looks at the clock, however recently it did (after a merge here)."""
        self._checked_at = float("-inf")

    async def _follow_clock(self) -> None:
        if time.monotonic() - self._checked_at < self.max_age_s:
            return
        # Concurrent readers share one look at the clock.
        if self._checking is None:
            self._checking = asyncio.ensure_future(self._check())
        checking = self._checking
        try:
            await asyncio.shield(checking)
        finally:
            if self._checking is checking and checking.done():
                self._checking = None

    async def _check(self) -> None:
        version, changed = await self.database.run_read(_clock_moves, self._version)
        if version != self._version:
            self.forget(changed)
            self._version = version
        self._checked_at = time.monotonic()


def _clock_moves(connection: Connection, since: int | None) -> tuple[int, list[int] | None]:
    """The clock now, and the tools changed after ``since`` (None: all may have)."""
    version = tally_clock.now(connection)
    if version == since or since is None:
        # Unmoved; or the first look, when nothing is cached yet that could be stale.
        return version, [] if version == since else None
    return version, tally_clock.changed_since(connection, since)
