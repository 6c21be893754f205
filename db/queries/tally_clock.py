"""The tally clock: one counter every vote write bumps, and the tools each bump touched.

Write side: ``bump(connection, tool_ids)`` inside the transaction that changes votes, so
the clock moves exactly when the change commits. Read side: ``now`` (one row by primary
key, cheap) and ``changes_since`` (an index range on ``tally_changes.version``).
Plain functions of a Core connection (see db.engine.Database.run_write); async code
in an open session calls them through ``in_session``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from db.direct_sql import Statement

_BUMP = Statement("UPDATE tally_clock SET version = version + 1 WHERE id = 1 RETURNING version")
_MARK = Statement(
    """
    INSERT INTO tally_changes (tool_id, version) VALUES (:tool_id, :version)
    ON CONFLICT (tool_id) DO UPDATE SET version = excluded.version
    """
)
_NOW = Statement("SELECT version FROM tally_clock WHERE id = 1")
# PostgreSQL: the bump and the marks in one statement (one round trip, not two).
_BUMP_AND_MARK_PG = Statement(
    """
    WITH bumped AS (
        UPDATE tally_clock SET version = version + 1 WHERE id = 1 RETURNING version
    ), marked AS (
        INSERT INTO tally_changes (tool_id, version)
        SELECT t, (SELECT version FROM bumped) FROM unnest(CAST(:tools AS integer[])) AS t
        ON CONFLICT (tool_id) DO UPDATE SET version = excluded.version
    )
    SELECT version FROM bumped
    """
)


def bump(connection: Connection, tool_ids: Iterable[int]) -> int:
    """Move the clock and mark ``tool_ids`` as changed at the new version; returns it.

    The UPDATE takes the clock row's lock until commit, so on PostgreSQL vote writes
    get their versions in commit order and a reader never skips a change.
    """
    tools = sorted(set(tool_ids))
    if connection.dialect.name == "postgresql":
        [[version]] = _BUMP_AND_MARK_PG.rows(connection, {"tools": tools})
        return int(version)
    [[version]] = _BUMP.rows(connection)
    _MARK.many(connection, [{"tool_id": tool_id, "version": version} for tool_id in tools])
    return int(version)


def now(connection: Connection) -> int:
    """The clock's current version (0 before any vote)."""
    row = _NOW.first(connection)
    return int(row[0] or 0) if row is not None else 0


_CHANGES = Statement("SELECT tool_id, version FROM tally_changes WHERE version > :since")


def changes_since(connection: Connection, version: int) -> dict[int, int]:
    """Tools whose votes changed after ``version``, each with the version of its last change."""
    return {int(r[0]): int(r[1]) for r in _CHANGES.rows(connection, {"since": version})}
