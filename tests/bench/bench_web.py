"""Web pages against a real `shiporskip run`: comparison page latency under an open loop,
and the preview image rendered uncached.

Open loop: requests leave on a fixed 5 ms grid (200/s) whatever the server does, and
each latency is counted from the moment its request was due, so a stall shows up in
the percentiles instead of quietly slowing the load down.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from typing import Any

import aiohttp

from bot.core.links import compare_path
from tests.bench.support import bench_database, percentile, row
from tests.ops.process import free_port, spawn_run, wait_healthy

RATE = 200
SECONDS = 15
PAGE_P99_MS = 20.0
OG_P99_MS = 50.0


async def _get(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url, allow_redirects=False) as response:
        await response.read()
        return response.status


async def _open_loop(
    http: aiohttp.ClientSession, base: str, paths: list[str]
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    cycle = itertools.cycle(paths)

    async def one(due: float, path: str) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, due - loop.time()))
        try:
            status = await _get(http, base + path)
        except aiohttp.ClientError:
            status = 0
        latencies.append(loop.time() - due)
        if status != 200:
            errors += 1

    tasks = [asyncio.create_task(one(start + i / RATE, next(cycle))) for i in range(RATE * SECONDS)]
    await asyncio.gather(*tasks)
    return [s * 1000 for s in latencies], errors


async def _bench(backend: str, rows: list[dict[str, Any]]) -> None:
    async with bench_database(backend) as database:
        from bot.core.tool_index import ToolIndex

        index = ToolIndex()
        await index.refresh(database, force=True)
        slugs = [t.slug for t in index.tools]
        rng = random.Random(7)
        pairs = {compare_path(*rng.sample(slugs, 2)) for _ in range(400)}
        paths = sorted(pairs)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {
            "DATABASE_URL": database.url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        bot = await spawn_run(env)
        base = f"http://127.0.0.1:{port}"
        # A browser-like pool: requests beyond it wait for a connection, and that wait
        # counts (latency runs from the moment a request was due).
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        try:
            await wait_healthy(http, base)
            # Steady state: every page has been seen once (catalog loaded, page rendered).
            for path in paths:
                await _get(http, base + path)
            page_ms, errors = await _open_loop(http, base, paths)
            og_ms = []
            # Pairs never drawn before: each image is rendered, not served from the cache.
            fresh = [
                p
                for p in (compare_path(a, b) for a, b in itertools.combinations(slugs, 2))
                if p not in pairs
            ][:60]
            for path in fresh:
                image = path.replace("/compare/", "/og/compare/") + ".png"
                started = time.perf_counter()
                status = await _get(http, base + image)
                og_ms.append((time.perf_counter() - started) * 1000)
                errors += status != 200
        finally:
            await http.close()
            bot.terminate()
            _, stderr = await bot.communicate()
        errors += stderr.decode().count("Traceback")
        p99 = percentile(page_ms, 99)
        og99 = percentile(og_ms, 99)
        rows.append(
            row("web", "compare page p50", backend, percentile(page_ms, 50), "ms", "-", True)
        )
        rows.append(
            row(
                "web",
                f"compare page p99 at {RATE}/s",
                backend,
                p99,
                "ms",
                f"< {PAGE_P99_MS:.0f} ms",
                p99 < PAGE_P99_MS,
            )
        )
        rows.append(
            row(
                "web",
                "OG image uncached p99",
                backend,
                og99,
                "ms",
                f"< {OG_P99_MS:.0f} ms",
                og99 < OG_P99_MS,
            )
        )
        rows.append(
            row("web", f"errors ({len(page_ms):,} pages)", backend, errors, "", "0", errors == 0)
        )


async def run(rows: list[dict[str, Any]]) -> None:
    for backend in ("sqlite", "postgresql"):
        await _bench(backend, rows)
