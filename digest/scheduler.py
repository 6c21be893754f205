"""The weekly schedule (APScheduler 3.x): DIGEST_CRON in DIGEST_TIMEZONE.

An in-memory job store forgets fire times missed while the bot was down, so at
start-up the latest scheduled time within the grace window becomes the job's
first run time; APScheduler's own misfire rules (coalesce, grace time) then run
it once. Running it again is harmless: issues are unique per week and sending
only touches deliveries still waiting.

A run that leaves work behind (the mail server was down, the job raised) is tried
again a few times with growing pauses, so an outage at the scheduled minute
delays the week's digest instead of skipping it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)
JOB_ID = "weekly-digest"
RETRY_JOB_ID = "weekly-digest-retry"
DEFAULT_GRACE = timedelta(hours=12)
RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)

# Returns False when work is left for later (then it is retried); None or True when done.
Job = Callable[[], Awaitable[bool | None]]


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

    def __init__(
        self,
        job: Job,
        cron: str,
        zone: str,
        *,
        grace: timedelta = DEFAULT_GRACE,
        retry_delays: tuple[timedelta, ...] = RETRY_DELAYS,
    ) -> None:
        self.job = job
        self.trigger = make_trigger(cron, zone)
        self.grace = grace
        self.retry_delays = retry_delays
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(zone))
        self.running: asyncio.Task[object] | None = None

    async def _run(self, retry: int = 0) -> None:
        self.running = asyncio.current_task()
        done: bool | None = False
        try:
            done = await self.job()
        except Exception:
            log.exception("weekly digest run failed")
        finally:
            self.running = None
        if done is False:
            self._retry_later(retry)

    def _retry_later(self, retry: int) -> None:
        if not self.scheduler.running:
            return  # shutting down: the next start catches up instead
        if retry >= len(self.retry_delays):
            log.error(
                "weekly digest still unfinished after %d retries; the next weekly run "
                "or `shiporskip digest send` resumes it",
                retry,
            )
            return
        when = datetime.now(UTC) + self.retry_delays[retry]
        self.scheduler.add_job(
            self._run,
            trigger=DateTrigger(when),
            id=RETRY_JOB_ID,
            kwargs={"retry": retry + 1},
            replace_existing=True,
            misfire_grace_time=int(self.grace.total_seconds()),
        )
        log.warning("weekly digest unfinished; trying again at %s", when)

    def retry_time(self) -> datetime | None:
        job = self.scheduler.get_job(RETRY_JOB_ID)
        return job.next_run_time if job else None

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

    def next_weekly_time(self, now: datetime | None = None) -> datetime | None:
        """The schedule's next slot after ``now``: not a missed run being caught up on."""
        upcoming: datetime | None = self.trigger.get_next_fire_time(None, now or datetime.now(UTC))
        return upcoming

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


async def run_forever(scheduler: DigestScheduler) -> None:
    scheduler.start()
    log.info("weekly digest scheduled; next at %s", scheduler.next_weekly_time())
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown()
