"""The weekly schedule: a time missed while down is caught up once, even by two schedulers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from db.engine import Database
from digest.issues import issue_count
from digest.pipeline import DigestDeps, weekly_run
from digest.scheduler import DigestScheduler, make_trigger, missed_fire_time
from digest.weeks import last_complete_week
from tests.digest.conftest import add_subscribers, make_settings, seed_week, smtp_sender
from tests.digest.smtp_sink import SmtpSink


def test_missed_fire_time_finds_the_latest_slot_within_grace() -> None:
    trigger = make_trigger("0 9 * * mon", "Europe/Berlin")
    monday_late = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # 11:30 in Berlin
    missed = missed_fire_time(trigger, monday_late, timedelta(hours=12))
    assert missed is not None and missed.astimezone(UTC) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert missed_fire_time(trigger, monday_late + timedelta(days=2), timedelta(hours=12)) is None


async def test_a_missed_run_fires_once_and_two_schedulers_send_once(
    demo_database: Database, sink: SmtpSink, tmp_path: object
) -> None:
    """Down at the scheduled minute: on start each scheduler runs the job once; mail goes once."""
    emails = await add_subscribers(demo_database, 20)
    # Something to report, or the quiet week would (rightly) mail nobody.
    await seed_week(demo_database, last_complete_week())
    now = datetime.now(UTC)
    due = now - timedelta(minutes=5)
    cron = f"{due.minute} {due.hour} * * *"
    settings = make_settings(demo_database.url, smtp_url=sink.url, outbox=tmp_path)  # type: ignore[arg-type]
    runs: list[int] = []
    finished = asyncio.Event()
    schedulers = []
    senders = []
    for number in range(2):
        sender = smtp_sender(sink)
        senders.append(sender)
        deps = DigestDeps.from_settings(demo_database, settings, sender=sender)

        async def job(deps: DigestDeps = deps, number: int = number) -> None:
            runs.append(number)
            await weekly_run(deps)
            if len(runs) == 2:
                finished.set()

        schedulers.append(DigestScheduler(job, cron, "UTC", grace=timedelta(hours=1)))
    try:
        missed = [s.start() for s in schedulers]
        assert all(m is not None and m <= now for m in missed)
        # The time to announce is the next regular slot, a day on, not the one caught up.
        weekly = schedulers[0].next_weekly_time()
        assert weekly is not None and weekly > now and missed[0] is not None
        assert weekly - missed[0] == timedelta(days=1)
        async with asyncio.timeout(20):
            await finished.wait()
        await asyncio.sleep(0.3)  # would a coalesced backlog fire again? it must not
        for scheduler in schedulers:
            next_run = scheduler.next_run_time()
            assert next_run is not None and next_run > now
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
        for sender in senders:
            await sender.close()
    assert sorted(runs) == [0, 1]
    assert await issue_count(demo_database) == 1
    assert sink.recipients() == {e: 1 for e in emails}


async def test_nothing_runs_at_start_when_nothing_was_missed(demo_database: Database) -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)

    later = datetime.now(UTC) + timedelta(hours=2)
    scheduler = DigestScheduler(job, f"{later.minute} {later.hour} * * *", "UTC")
    try:
        assert scheduler.start() is None
        await asyncio.sleep(0.3)
    finally:
        scheduler.shutdown()
    assert runs == []
