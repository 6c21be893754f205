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

from bot.slack_bot.json_text import json_text

log = logging.getLogger(__name__)
Work = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]
# Work that produces the answer's payload (text, blocks, response_type), and how to send
# that payload later when it was not ready for the ack (None: nothing to answer).
Answering = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[dict[str, Any] | None]]
SendLater = Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]]
Listener = Callable[[AsyncAck, dict[str, Any], AsyncBoltContext], Coroutine[Any, Any, None]]


BUSY = "Busy right now, try again in a minute."
MAX_PENDING = 256
# How long the ack may wait for the answer to travel in it (Slack allows 3 s). Past
# this, the ack goes out empty and the answer follows through the response_url.
IN_ACK_WITHIN_S = 1.0


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

    def answer_in_ack(
        self, work: Answering, send_later: SendLater, within_s: float = IN_ACK_WITHIN_S
    ) -> Listener:
        """Ack with the answer itself when it is ready within ``within_s``.

        A slash command's ack may carry the message (text, blocks, response_type); that
        saves the response_url round trip. A slower answer is sent later, as before.
        """

        async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
            if self.full:
                await ack(text=BUSY)
                return
            answering = asyncio.ensure_future(work(body, context))
            done, _ = await asyncio.wait({answering}, timeout=within_s)
            if done and answering.exception() is None:
                answer = answering.result()
                if answer:
                    # bolt sends a lone string ack as it is, labelled JSON when it starts
                    # with "{" (Slack reads the message from JSON only): serialized here
                    # in C rather than by bolt's json.dumps, a tenth of a /compare's CPU.
                    await ack(json_text(answer))
                else:
                    await ack()
                return
            await ack()
            self.spawn(_send_when_ready(answering, body, send_later))

        return listener


async def _send_when_ready(
    answering: asyncio.Future[dict[str, Any] | None], body: dict[str, Any], send_later: SendLater
) -> None:
    # A failure re-raises here and is logged by the task's done callback.
    message = await answering
    if message is not None:
        await send_later(body, message)
