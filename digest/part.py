"""The digest's part of `shiporskip run`: the weekly schedule over the process's runtime."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from digest.pipeline import DigestDeps, weekly_run
from digest.scheduler import DigestScheduler, run_forever

if TYPE_CHECKING:
    from bot.runner import Runtime


class DigestPart:
    """Runs DIGEST_CRON; ready while the scheduler runs; drains the send in progress."""

    name = "digest"

    def __init__(self) -> None:
        self._deps: DigestDeps | None = None
        self._scheduler: DigestScheduler | None = None

    async def start(self, runtime: Runtime) -> None:
        """The weekly schedule; runs until cancelled. The sender is the runtime's to close."""
        deps = self._deps = runtime.digest_runtime()
        settings = runtime.settings.digest

        async def job() -> bool:
            return (await weekly_run(deps)).finished

        self._scheduler = DigestScheduler(job, settings.cron, settings.timezone)
        try:
            await run_forever(self._scheduler)
        finally:
            self._scheduler = None

    def ready(self) -> tuple[bool, str] | None:
        scheduler = self._scheduler
        if scheduler is None:
            return None
        retry = scheduler.retry_time()
        return (
            scheduler.scheduler.running,
            f"next run {scheduler.next_run_time()}"
            + (f", retry of an unfinished run at {retry}" if retry else ""),
        )

    async def drain(self) -> None:
        if self._deps is not None:
            # Senders finish the message in hand and hand their other claims back.
            self._deps.stopping.set()
        if self._scheduler is not None:
            await self._scheduler.drain()

    def __call__(self, runtime: Runtime) -> Coroutine[Any, Any, None]:
        return self.start(runtime)
