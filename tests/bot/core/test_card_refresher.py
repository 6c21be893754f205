"""The card refresher: redraw until what was drawn is true; a dead owner's claim expires."""

from __future__ import annotations

import asyncio

from bot.core.card_refresher import CardRefresher, Draw
from db.engine import Database
from db.queries.card_refresh import LEASE_S, bump_and_claim, card_state, mark_and_claim

KEY = "test:card"


async def changed(refresher: CardRefresher, draw: Draw) -> None:
    """What a click does: its vote's transaction marks the card and tries the claim
    (``VoteRequest.card_key``); the claim, if taken, is handed to the refresher."""
    [claim] = await refresher.database.run_write(mark_and_claim, [KEY], LEASE_S)
    if claim is not None:
        await refresher.redraw(claim, draw)


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
        await changed(refresher, draw)

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
    await changed(refresher, draw)
    assert drawn == []  # the (living, as far as anyone knows) owner still holds it
    await asyncio.sleep(0.3)
    await changed(refresher, draw)
    assert drawn == ["x"]


async def test_a_failed_draw_gives_the_claim_back(database: Database) -> None:
    refresher = CardRefresher(database)

    async def broken() -> bool:
        return False

    await changed(refresher, broken)
    async with database.read() as session:
        state = await card_state(session, KEY)
    assert state is not None and state.owner is None and state.drawn == 0
