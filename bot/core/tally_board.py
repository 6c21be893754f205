"""Community tallies served from memory, kept true across processes by the tally clock.

Every card shows ship/skip counts; counting them in the database for every card was
the largest part of a card's cost. The board keeps the counts per tool and asks the
database only (a) for tools it has not seen and (b) for tools whose votes changed:
every vote write bumps the one-row ``tally_clock`` in its own transaction and marks its
tools in ``tally_changes`` (db/queries/tally_clock.py). At most every ``max_age_s`` a
read looks at the clock; when it moved, only the changed tools are dropped and counted
again. So a vote cast through another process shows here within ``max_age_s``; a vote
cast through this process shows at once (``note``).

Every count carries the clock version it is true at (``Tally.as_of``), and the board
keeps, per tool, the version of the last change it has heard of. A change is dropped
only when it is newer than the count held: this process's own votes (noted with the
version their transaction moved the clock to) don't make it count them again. A count
read from the database is stored only if no newer change to its tool is known.

``tallies(ids, current=True)`` is for live-card redraws: it waits for a look at the
clock that started after the call, so the counts include every vote committed before
it, in any process, without counting them again in the database.

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
        # Per tool: the clock version of the newest change heard of (a vote noted here,
        # or a change the clock listed). A count older than that is not stored.
        self._changed_at: dict[int, int] = {}
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._checking: asyncio.Future[None] | None = None
        self._checks_begun = 0
        self._checks_done = 0
        # Bumped when counts are dropped without a version (``forget``): a database read
        # that started before must not store what it read.
        self._serial = 0

    async def tallies(self, tool_ids: Iterable[int], *, current: bool = False) -> dict[int, Tally]:
        """Counts per tool; ``current``: including every vote committed before this call."""
        ids = list(tool_ids)
        if not ids:
            return {}
        await (self._look_after_now() if current else self._follow_clock())
        # Taken before any await: a concurrent forget() must not pull counts from under us.
        known = {i: self._counts[i] for i in ids if i in self._counts}
        missing = [i for i in ids if i not in known]
        if not missing:
            return known
        serial = self._serial
        read = await self.database.run_read(_count_now, missing)
        if serial == self._serial:
            if len(self._counts) + len(read) > self.max_tools:
                self._counts.clear()
            for tool_id, tally in read.items():
                self._store(tool_id, tally)
        return {i: known[i] if i in known else read[i] for i in ids}

    def note(self, tool_id: int, tally: Tally) -> None:
        """The count after a vote this process wrote (read in or after its transaction)."""
        if tally.as_of is None:
            # Of unknown age: it could be older than a count held; the next read counts.
            self.forget([tool_id])
            return
        self._changed_at[tool_id] = max(self._changed_at.get(tool_id, tally.as_of), tally.as_of)
        self._store(tool_id, tally)

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

    def _store(self, tool_id: int, tally: Tally) -> None:
        """Keep ``tally`` unless a newer change to the tool, or a newer count, is known."""
        if tally.as_of is None:
            return
        if tally.as_of < self._changed_at.get(tool_id, tally.as_of):
            return
        held = self._counts.get(tool_id)
        if held is not None and held.as_of is not None and held.as_of > tally.as_of:
            return
        self._counts[tool_id] = tally

    async def _follow_clock(self) -> None:
        if time.monotonic() - self._checked_at < self.max_age_s:
            return
        # Concurrent readers share one look at the clock.
        if self._checking is None:
            self._start_check()
        await self._await_check()

    async def _look_after_now(self) -> None:
        """Wait for a look at the clock that began after this call (shared by callers)."""
        needed = self._checks_begun + 1
        while self._checks_done < needed:
            if self._checking is None:
                self._start_check()
            await self._await_check()

    def _start_check(self) -> None:
        self._checks_begun += 1
        self._checking = asyncio.ensure_future(self._check())

    async def _await_check(self) -> None:
        checking = self._checking
        assert checking is not None
        try:
            await asyncio.shield(checking)
        finally:
            if self._checking is checking and checking.done():
                self._checking = None

    async def _check(self) -> None:
        try:
            version, changed = await self.database.run_read(_clock_moves, self._version)
            if changed is None:
                self.forget()
            else:
                for tool_id, at in changed.items():
                    self._changed_at[tool_id] = max(self._changed_at.get(tool_id, at), at)
                    held = self._counts.get(tool_id)
                    if held is not None and (held.as_of is None or held.as_of < at):
                        del self._counts[tool_id]
            self._version = version
            self._checked_at = time.monotonic()
        finally:
            self._checks_done += 1


def _clock_moves(connection: Connection, since: int | None) -> tuple[int, dict[int, int] | None]:
    """The clock now, and the tools changed after ``since`` with the version of their last
    change (None: any may have: the first look, with nothing cached yet that could be stale).
    """
    version = tally_clock.now(connection)
    if since is None:
        return version, None
    if version == since:
        return version, {}
    return version, tally_clock.changes_since(connection, since)


def _count_now(connection: Connection, tool_ids: list[int]) -> dict[int, Tally]:
    """Counts, stamped with the clock read first: on PostgreSQL each statement sees its own
    snapshot, so the counts are true at least as of that version (maybe later: harmless)."""
    version = tally_clock.now(connection)
    return vote_queries.count_tallies(connection, tool_ids, as_of=version)
