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


class Background:
    """Holds the running tasks (asyncio keeps only weak references) and logs failures."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

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
            await ack()
            self.spawn(work(body, context))

        return listener
