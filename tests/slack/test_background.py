"""The background queue is bounded: a flood is answered "busy", not queued for later."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.slack_bot.background import BUSY, Background


async def test_a_full_queue_answers_busy_and_runs_nothing_more() -> None:
    background = Background(max_pending=2)
    release = asyncio.Event()
    started = 0
    acks: list[dict[str, Any]] = []

    async def work(_body: dict[str, Any], _context: Any) -> None:
        nonlocal started
        started += 1
        await release.wait()

    async def ack(**kwargs: Any) -> None:
        acks.append(kwargs)

    listener = background.ack_then(work)
    for _ in range(10):
        await listener(ack, {}, None)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert started == 2
    assert acks[:2] == [{}, {}]
    assert acks[2:] == [{"text": BUSY}] * 8
    # When the flood stops, only the work already accepted runs: nothing piles up.
    release.set()
    await background.drain()
    assert started == 2
    await listener(ack, {}, None)  # type: ignore[arg-type]
    assert acks[-1] == {}
    await background.drain()
    assert started == 3


async def test_an_answer_ready_in_time_is_the_ack_a_late_one_follows() -> None:
    background = Background()
    acks: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []

    async def ack(**kwargs: Any) -> None:
        acks.append(kwargs)

    async def send_later(_body: dict[str, Any], message: dict[str, Any]) -> None:
        later.append(message)

    async def fast(_body: dict[str, Any], _context: Any) -> dict[str, Any]:
        return {"text": "fast"}

    async def slow(_body: dict[str, Any], _context: Any) -> dict[str, Any]:
        await asyncio.sleep(0.3)
        return {"text": "slow"}

    await background.answer_in_ack(fast, send_later, within_s=0.1)(ack, {}, None)  # type: ignore[arg-type]
    await background.answer_in_ack(slow, send_later, within_s=0.1)(ack, {}, None)  # type: ignore[arg-type]
    assert acks == [{"text": "fast"}, {}]
    assert later == []
    await background.drain()
    assert later == [{"text": "slow"}]
