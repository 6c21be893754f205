"""Ack first, then work: every listener answers Slack at once and does the rest in a task.

bolt's lazy listeners do the same but deep-copy the whole request for each one,
which under load costs more than the rest of the dispatch together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

log = logging.getLogger(__name__)
Work = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]
Listener = Callable[[AsyncAck, dict[str, Any], AsyncBoltContext], Coroutine[Any, Any, None]]


BUSY = "Busy right now, try again in a minute."
MAX_PENDING = 256


class Background:
    """Holds the running tasks (asyncio keeps only weak references) and logs failures.

    Bounded: past ``max_pending`` tasks in flight a request is answered "busy" instead of
    queued, so a flood can't pile up work (and emails) that runs on after it stops.
    """

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.max_pending = max_pending

    @property
    def full(self) -> bool:
        return len(self._tasks) >= self.max_pending

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack listener failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for work in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def ack_then(self, work: Work) -> Listener:
        async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
            if self.full:
                # Slash commands show the ack's text to the user; events ignore it.
                await ack(text=BUSY)
                return
            await ack()
            self.spawn(work(body, context))

        return listener
