"""The card refresher: redraw until what was drawn is true; a dead owner's claim expires."""

from __future__ import annotations

import asyncio

from bot.core.card_refresher import CardRefresher
from db.engine import Database
from db.queries.card_refresh import bump_and_claim, card_state

KEY = "test:card"


async def test_a_burst_ends_with_the_last_value_drawn_in_few_draws(database: Database) -> None:
    refresher = CardRefresher(database)
    truth = 0
    shown: list[int] = []

    async def draw() -> bool:
        seen = truth  # rendered from "the database" when the draw starts
        await asyncio.sleep(0.02)
        shown.append(seen)
        return True

    async def vote() -> None:
        nonlocal truth
        truth += 1
        await refresher.changed(KEY, draw)

    await asyncio.gather(*(vote() for _ in range(30)))
    assert shown[-1] == 30
    assert shown == sorted(shown)  # one draw at a time: never out of order
    assert len(shown) < 30
    async with database.read() as session:
        state = await card_state(session, KEY)
    assert state is not None and state.drawn == state.version == 30 and state.owner is None


async def test_a_crashed_owners_claim_runs_out(database: Database) -> None:
    async with database.write() as session:
        assert await bump_and_claim(session, KEY, "dead-process", 0.2) == 1
    drawn: list[str] = []

    async def draw() -> bool:
        drawn.append("x")
        return True

    refresher = CardRefresher(database, lease_s=5)
    await refresher.changed(KEY, draw)
    assert drawn == []  # the (living, as far as anyone knows) owner still holds it
    await asyncio.sleep(0.3)
    await refresher.changed(KEY, draw)
    assert drawn == ["x"]


async def test_a_failed_draw_gives_the_claim_back(database: Database) -> None:
    refresher = CardRefresher(database)

    async def broken() -> bool:
        return False

    await refresher.changed(KEY, broken)
    async with database.read() as session:
        state = await card_state(session, KEY)
    assert state is not None and state.owner is None and state.drawn == 0
