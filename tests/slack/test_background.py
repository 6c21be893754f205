"""The background queue is bounded: a flood is answered "busy", not queued for later."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

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
    """bolt's own ack object: what it would send Slack is the HTTP response."""
    background = Background()
    later: list[dict[str, Any]] = []

    async def send_later(_body: dict[str, Any], message: dict[str, Any]) -> None:
        later.append(message)

    card = {"response_type": "in_channel", "text": "A vs B", "blocks": [{"type": "divider"}]}

    async def fast(_body: dict[str, Any], _context: Any) -> dict[str, Any]:
        return card

    async def slow(_body: dict[str, Any], _context: Any) -> dict[str, Any]:
        await asyncio.sleep(0.3)
        return {"text": "slow"}

    fast_ack, slow_ack = AsyncAck(), AsyncAck()
    await background.answer_in_ack(fast, send_later, within_s=0.1)(fast_ack, {}, None)  # type: ignore[arg-type]
    await background.answer_in_ack(slow, send_later, within_s=0.1)(slow_ack, {}, None)  # type: ignore[arg-type]
    assert fast_ack.response is not None and slow_ack.response is not None
    assert json.loads(fast_ack.response.body) == card
    assert fast_ack.response.headers["content-type"] == ["application/json;charset=utf-8"]
    assert (slow_ack.response.status, slow_ack.response.body) == (200, "")
    assert later == []
    await background.drain()
    assert later == [{"text": "slow"}]
