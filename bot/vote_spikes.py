"""Keeps the shiporskip_vote_spike{tool} gauge current, at most once a minute, on scrape."""

from __future__ import annotations

import time

from bot import metrics
from db.engine import Database
from db.queries.vote_report import ToolVotes, vote_report

REFRESH_S = 60.0
_last_refresh = float("-inf")


async def spikes(database: Database, days: int = 7) -> list[ToolVotes]:
    async with database.read() as session:
        return [t for t in await vote_report(session, days) if t.spike]


async def refresh_gauge(database: Database, *, force: bool = False) -> None:
    """1 for a spiking tool, 0 for the other tools voted on this week."""
    global _last_refresh
    if not force and time.monotonic() - _last_refresh < REFRESH_S:
        return
    _last_refresh = time.monotonic()
    async with database.read() as session:
        report = await vote_report(session)
    metrics.VOTE_SPIKE.clear()
    for tool in report:
        metrics.VOTE_SPIKE.labels(tool.slug).set(1 if tool.spike else 0)


def describe(tool: ToolVotes) -> str:
    return f"{tool.slug} ({tool.last_24h} in 24h vs {tool.baseline_per_day:.1f}/day before)"
