"""`make bench`: run every tests/bench/bench_<area>.py and print one table.

Each module exposes ``async def run(rows: list[dict]) -> None`` and appends rows with
keys area, metric, backend, value, target, ok. ``python -m tests.bench core slack``
runs only the named areas.

Latency areas run first; the digest (which writes gigabytes into PostgreSQL) and the
long soak come last, and between areas the disks are flushed, so one area's writes
draining in the background do not show up as another area's tail latency.

This process is also the load generator and the stopwatch (the fake Discord and
Slack servers live in it), so its own garbage collector stays off while an area
runs: a 100 ms full collection here once read as the bot's Slack p99.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import tests.bench as package
from tests import postgres

ORDER = ("core", "discord", "slack", "hotcard", "web", "throughput", "digest", "soak")


def areas(selected: list[str]) -> list[str]:
    found = {
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(package.__path__)
        if m.name.startswith("bench_")
    }
    ordered = [a for a in ORDER if a in found] + sorted(found - set(ORDER))
    return [a for a in ordered if not selected or a in selected]


async def settle() -> None:
    """Write out what earlier areas left in memory (PostgreSQL checkpoint, page cache)."""
    connection = await postgres.admin_connection()
    try:
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    await asyncio.to_thread(os.sync)


def print_table(rows: list[dict[str, Any]]) -> None:
    headers = ["area", "metric", "backend", "value", "target", "ok"]
    cells = [[str(r.get(h, "")) for h in headers] for r in rows]
    widths = [
        max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def save(rows: list[dict[str, Any]]) -> None:
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, indent=2, default=str))


async def main(selected: list[str]) -> int:
    rows: list[dict[str, Any]] = []
    failed = False
    for area in areas(selected):
        module = importlib.import_module(f"tests.bench.bench_{area}")
        await settle()
        started = time.perf_counter()
        print(f"running {area} benchmarks...", file=sys.stderr, flush=True)
        gc.collect()
        gc.disable()
        try:
            await module.run(rows)
        except Exception:
            failed = True
            traceback.print_exc()
            rows.append({"area": area, "metric": "(crashed)", "ok": "no"})
        finally:
            gc.enable()
            gc.collect()
        print(f"  {area} took {time.perf_counter() - started:.0f}s", file=sys.stderr)
    print_table(rows)
    save(rows)
    return 1 if failed or any(r.get("ok") == "no" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
