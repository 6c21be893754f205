"""Helpers shared by the benchmarks: databases on both backends, percentiles, rows."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from tests import postgres


@asynccontextmanager
async def bench_database(backend: str, *, demo: bool = True) -> AsyncIterator[Database]:
    """A fresh migrated database (SQLite file or new PostgreSQL database), dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
            try:
                await _prepare(database, demo)
                yield database
            finally:
                await database.dispose()
        return
    name = await postgres.create_database()
    database = Database(postgres.pg_url(name), pool_size=20)
    try:
        await _prepare(database, demo)
        yield database
    finally:
        await database.dispose()
        await postgres.drop_database(name)


async def _prepare(database: Database, demo: bool) -> None:
    await upgrade(database)
    if demo:
        await import_catalog(database, DEMO_CATALOG)


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(pct) - 1]


def row(
    area: str, metric: str, backend: str, value: float, unit: str, target: str, ok: bool
) -> dict[str, Any]:
    shown = f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"
    return {
        "area": area,
        "metric": metric,
        "backend": backend,
        "value": shown.strip(),
        "target": target,
        "ok": "yes" if ok else "no",
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a running process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
