"""What `shiporskip run` and `shiporskip chat` take from the digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings
from db.engine import Database
from digest.pipeline import DigestDeps, weekly_run
from digest.scheduler import DigestScheduler, run_forever
from digest.subscribers import EmailSubscriptions

if TYPE_CHECKING:
    from bot.runner import Runtime


def subscriptions_for(database: Database, settings: Settings) -> EmailSubscriptions:
    """Sign-up from chat: confirmation emails go by SMTP, or to the outbox without it."""
    return DigestDeps.from_settings(database, settings).subscriptions()


async def digest_part(runtime: Runtime) -> None:
    """The weekly schedule; runs until cancelled."""
    # The posters dict is shared: platforms that start later still get the post.
    deps = DigestDeps.from_settings(runtime.database, runtime.settings, runtime.posters)
    settings = runtime.settings.digest

    async def job() -> bool:
        return (await weekly_run(deps)).finished

    scheduler = DigestScheduler(job, settings.cron, settings.timezone)

    async def drain() -> None:
        deps.stopping.set()
        await scheduler.drain()

    runtime.drains.append(drain)
    runtime.readiness["digest"] = lambda: (
        scheduler.scheduler.running,
        f"next run {scheduler.next_run_time()}"
        + (f", retry of an unfinished run at {retry}" if (retry := scheduler.retry_time()) else ""),
    )
    try:
        await run_forever(scheduler)
    finally:
        runtime.readiness.pop("digest", None)
        await deps.sender.close()
