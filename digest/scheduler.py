"""The weekly schedule (APScheduler 3.x): DIGEST_CRON in DIGEST_TIMEZONE.

An in-memory job store forgets fire times missed while the bot was down, so at
start-up the latest scheduled time within the grace window becomes the job's
first run time; APScheduler's own misfire rules (coalesce, grace time) then run
it once. Running it again is harmless: issues are unique per week and sending
only touches deliveries still waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)
JOB_ID = "weekly-digest"
DEFAULT_GRACE = timedelta(hours=12)

Job = Callable[[], Awaitable[object]]


def make_trigger(cron: str, zone: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=ZoneInfo(zone))


def missed_fire_time(trigger: CronTrigger, now: datetime, grace: timedelta) -> datetime | None:
    """The latest scheduled time in (now - grace, now], if any."""
    latest = None
    moment = trigger.get_next_fire_time(None, now - grace)
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return latest


class DigestScheduler:
    """Owns the AsyncIOScheduler; call ``start`` inside the running loop."""

    def __init__(self, job: Job, cron: str, zone: str, *, grace: timedelta = DEFAULT_GRACE) -> None:
        self.job = job
        self.trigger = make_trigger(cron, zone)
        self.grace = grace
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(zone))
        self.running: asyncio.Task[object] | None = None

    async def _run(self) -> None:
        self.running = asyncio.current_task()
        try:
            await self.job()
        except Exception:
            # The next week's run (or a manual `digest send`) resumes whatever is left.
            log.exception("weekly digest run failed")
        finally:
            self.running = None

    async def drain(self) -> None:
        """Wait for a run in progress (already told to stop) to finish."""
        running = self.running
        if running is not None and not running.done():
            await asyncio.wait({running})

    def start(self, now: datetime | None = None) -> datetime | None:
        """Schedule the job; returns the missed time it will catch up on, if any."""
        moment = now or datetime.now(UTC)
        missed = missed_fire_time(self.trigger, moment, self.grace)
        self.scheduler.add_job(
            self._run,
            trigger=self.trigger,
            id=JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.grace.total_seconds()),
            replace_existing=True,
            **({"next_run_time": missed} if missed else {}),
        )
        self.scheduler.start()
        if missed:
            log.info("digest was due at %s while we were down; sending now", missed)
        return missed

    def next_run_time(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID)
        return job.next_run_time if job else None

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


async def run_forever(scheduler: DigestScheduler) -> None:
    scheduler.start()
    log.info("weekly digest scheduled; next at %s", scheduler.next_run_time())
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown()
