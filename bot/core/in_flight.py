"""Counting the handlers at work, so a stopping process can let them finish."""

from __future__ import annotations

import asyncio
from types import TracebackType


class InFlight:
    """``async with in_flight:`` around each handler; ``await in_flight.idle()`` on stop."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return self._count

    async def __aenter__(self) -> None:
        self._count += 1
        self._idle.clear()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def idle(self) -> None:
        """Return once no handler is at work (at once if none is)."""
        await self._idle.wait()
