"""The tally clock (migration 0008): how a process learns that votes changed elsewhere.

``tally_clock`` is one row whose ``version`` every vote write bumps in its own
transaction; ``tally_changes`` says, per tool, at which version its votes last
changed. A process that serves tallies from memory reads the one row now and then
and, when it moved, re-reads only the tools changed since (bot/core/tally_board.py).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Table

from db.models import Base

tally_clock = Table(
    "tally_clock",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

tally_changes = Table(
    "tally_changes",
    Base.metadata,
    Column(
        "tool_id",
        Integer,
        ForeignKey("tools.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("version", BigInteger, nullable=False),
    Index("ix_tally_changes_version", "version"),
)
