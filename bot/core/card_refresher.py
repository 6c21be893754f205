"""Keep a live card (a chat message with vote buttons) showing the true numbers.

A vote marks its card changed (a version bump in ``card_refresh``). One redraw at a
time runs per card, across every process on the database: whoever takes the claim
draws the card from the database as it is at that moment, records the version it
drew, and draws again while votes arrived during the draw. Redraw until what you
drew is true. A burst of clicks therefore costs a few updates, not one per click,
and the last update always shows the final tallies.

The claim is a lease: a process that dies mid-draw blocks nothing for longer than
``lease_s``; the next vote on the card takes over.

A click marks its card and tries the claim in the vote's own transaction
(``VoteRequest.card_key``, ``db.queries.card_refresh.mark_and_claim``) and hands the
claim here (``redraw``). The records of finished draws that arrive together share one
transaction (db.batching): under load, a write per click was what the single SQLite
writer queued on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from db.batching import Batcher
from db.engine import Database
from db.queries import card_refresh as queries
from db.queries.card_refresh import LEASE_S, CardClaim

log = logging.getLogger(__name__)
Draw = Callable[[], Awaitable[bool]]
"""Render the card from the database now and send it; False when it could not be sent."""


@dataclass(frozen=True)
class _Drawn:
    card_key: str
    owner: str
    version: int


class CardRefresher:
    """Platform-neutral: adapters supply the card key and a ``draw`` that edits the message."""

    def __init__(self, database: Database, *, lease_s: float = LEASE_S) -> None:
        """``lease_s``: how long each recorded draw extends the claim while votes keep
        coming (the vote's transaction takes the claim with the same default)."""
        self.database = database
        self.lease_s = lease_s
        self._drawn: Batcher[_Drawn, int | None] = Batcher(
            self._record_drawn, key=lambda d: d.card_key
        )

    async def redraw(self, claim: CardClaim, draw: Draw, *, drawn: bool = False) -> None:
        """Holding ``claim``: draw until the card shows its newest version, then let go.

        ``drawn``: the caller already put ``claim.version`` (or newer) on screen.
        """
        await self._draw_until_true(claim.card_key, claim.owner, claim.version, draw, drawn)

    async def release(self, claim: CardClaim) -> None:
        """Give ``claim`` up undrawn: the next vote on the card redraws it."""
        await self._release(claim.card_key, claim.owner)

    async def _record_drawn(self, drawn: list[_Drawn]) -> list[int | None]:
        # Each card's record is one statement that stands alone (check and release).
        return await self.database.run_autocommit(_record_drawn, drawn, self.lease_s)

    async def _draw_until_true(
        self, card_key: str, owner: str, version: int, draw: Draw, drawn: bool
    ) -> None:
        pending: int | None = version
        try:
            while pending is not None:
                # The version is read before rendering, so the draw shows at least it.
                if drawn:
                    drawn = False
                elif not await draw():
                    log.warning("card %s could not be redrawn; the next vote retries", card_key)
                    break
                pending = await self._drawn.submit(_Drawn(card_key, owner, pending))
            else:
                return
        except BaseException:
            await self._release(card_key, owner)
            raise
        await self._release(card_key, owner)

    async def _release(self, card_key: str, owner: str) -> None:
        try:
            await self.database.run_autocommit(queries.release, card_key, owner)
        except Exception:
            log.exception(
                "could not release the claim on card %s (its lease will run out)", card_key
            )


def _record_drawn(connection: Connection, drawn: list[_Drawn], lease_s: float) -> list[int | None]:
    # In key order, the order claims lock cards in: where these records share one
    # transaction (SQLite's group commit), it never waits on a claim in a cycle.
    pending: dict[str, int | None] = {}
    for d in sorted(drawn, key=lambda d: d.card_key):
        pending[d.card_key] = queries.drawn_release_if_current(
            connection, d.card_key, d.owner, d.version, lease_s
        )
    return [pending[d.card_key] for d in drawn]
