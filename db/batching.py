"""Group concurrent writes into one transaction (group commit).

SQLite has one writer at a time and every transaction pays for BEGIN and COMMIT;
PostgreSQL pays a round trip per statement. Fifty people voting at once therefore
go faster as one multi-row statement than as fifty transactions. Each caller still
waits until its own write is committed, so nothing is acknowledged before it is safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs ``apply`` on batches of queued items, one batch at a time, in arrival order.

    Items with the same ``key`` never share a batch: the later one waits for the next,
    so per-key order is kept (a person's second vote lands after their first).
    """

    def __init__(
        self,
        apply: Callable[[list[T]], Awaitable[list[R]]],
        key: Callable[[T], Hashable],
        max_batch: int = 256,
    ) -> None:
        self._apply = apply
        self._key = key
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    def _take_batch(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        rest: list[tuple[T, asyncio.Future[R]]] = []
        for entry in self._queue:
            key = self._key(entry[0])
            if len(batch) < self._max_batch and key not in keys and not entry[1].cancelled():
                keys.add(key)
                batch.append(entry)
            elif not entry[1].cancelled():
                rest.append(entry)
        self._queue = rest
        return batch

    async def _drain(self) -> None:
        # Yield once so callers arriving in the same loop turn join the first batch.
        await asyncio.sleep(0)
        while self._queue:
            batch = self._take_batch()
            if not batch:
                continue
            try:
                results = await self._apply([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
