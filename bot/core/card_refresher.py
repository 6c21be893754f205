"""Keep a live card (a chat message with vote buttons) showing the true numbers.

A vote marks its card changed (a version bump in ``card_refresh``). One redraw at a
time runs per card, across every process on the database: whoever takes the claim
draws the card from the database as it is at that moment, records the version it
drew, and draws again while votes arrived during the draw. Redraw until what you
drew is true. A burst of clicks therefore costs a few updates, not one per click,
and the last update always shows the final tallies.

The claim is a lease: a process that dies mid-draw blocks nothing for longer than
``lease_s``; the next vote on the card takes over.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from db.engine import Database
from db.queries import card_refresh as queries

log = logging.getLogger(__name__)
# Long enough for a draw that waits out a 429 or two; a crashed owner blocks this long.
LEASE_S = 60.0
Draw = Callable[[], Awaitable[bool]]
"""Render the card from the database now and send it; False when it could not be sent."""


class CardRefresher:
    """Platform-neutral: adapters supply the card key and a ``draw`` that edits the message."""

    def __init__(self, database: Database, *, lease_s: float = LEASE_S) -> None:
        self.database = database
        self.lease_s = lease_s

    async def changed(self, card_key: str, draw: Draw) -> None:
        """A vote landed on ``card_key``: redraw now, or leave it to the current drawer."""
        owner = uuid.uuid4().hex
        async with self.database.write() as session:
            version = await queries.bump_and_claim(session, card_key, owner, self.lease_s)
        if version is not None:
            await self._draw_until_true(card_key, owner, version, draw)

    async def _draw_until_true(self, card_key: str, owner: str, version: int, draw: Draw) -> None:
        pending: int | None = version
        try:
            while pending is not None:
                # The version is read before rendering, so the draw shows at least it.
                if not await draw():
                    log.warning("card %s could not be redrawn; the next vote retries", card_key)
                    break
                async with self.database.write() as session:
                    pending = await queries.drawn_release_if_current(
                        session, card_key, owner, pending, self.lease_s
                    )
            else:
                return
        except BaseException:
            await self._release(card_key, owner)
            raise
        await self._release(card_key, owner)

    async def _release(self, card_key: str, owner: str) -> None:
        try:
            async with self.database.write() as session:
                await queries.release(session, card_key, owner)
        except Exception:
            log.exception(
                "could not release the claim on card %s (its lease will run out)", card_key
            )
