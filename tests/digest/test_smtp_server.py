"""The mail server itself: STARTTLS and login from SMTP_URL, and what happens when it is
unusable (refused login, refused sender, nobody listening): the run stops early, no
reader is blamed, and a later run (or the scheduler's retry) delivers everyone once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.digest_models import Subscriber
from db.engine import Database
from digest.delivery import SendSummary, delivery_counts
from digest.issues import Issue
from digest.pipeline import DigestDeps, send_week, weekly_run
from digest.scheduler import DigestScheduler
from digest.senders import RetryPolicy, SmtpSender, SmtpTarget
from tests.digest.conftest import WEEK, add_subscribers, add_week_news, make_settings
from tests.digest.smtp_sink import SmtpSink
from tests.digest.tls import server_context
from tests.ops.process import free_port

CONCURRENCY = 2


def sender_for(url: str) -> SmtpSender:
    return SmtpSender(
        SmtpTarget.from_url(url),
        rate=10_000,
        concurrency=CONCURRENCY,
        retry=RetryPolicy(attempts=2, base_delay_s=0.01),
        timeout_s=5,
        validate_certs=False,  # the test certificate is self-signed
    )


def deps_for(database: Database, url: str, tmp_path: Path) -> DigestDeps:
    settings = make_settings(database.url, smtp_url=url, outbox=tmp_path / "outbox")
    return DigestDeps.from_settings(database, settings, sender=sender_for(url))


@pytest.fixture
async def guarded_sink(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    """A server that insists on STARTTLS and a login, like a real submission port."""
    context, _ = server_context(tmp_path)
    server = await SmtpSink(
        tls_context=context, credentials=("digest@sos.example", "s3cr:t")
    ).start()
    yield server
    await server.stop()


async def send_through(database: Database, url: str, tmp_path: Path) -> tuple[Issue, SendSummary]:
    """One `digest send` of WEEK through the server at ``url``."""
    deps = deps_for(database, url, tmp_path)
    try:
        return await send_week(deps, WEEK)
    finally:
        await deps.sender.close()


async def hard_failures(database: Database) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.sum(Subscriber.hard_failures))) or 0)


async def test_starttls_and_the_login_come_from_the_url(
    demo_database: Database, guarded_sink: SmtpSink, tmp_path: Path
) -> None:
    emails = await add_subscribers(demo_database, 3)
    url = f"smtp://digest%40sos.example:s3cr%3At@127.0.0.1:{guarded_sink.port}"
    _, summary = await send_through(demo_database, url, tmp_path)
    assert summary.sent == 3 and summary.finished
    assert guarded_sink.recipients() == {e: 1 for e in emails}
    assert all(m.tls and m.login == "digest@sos.example" for m in guarded_sink.messages)


async def test_a_refused_login_stops_the_run_and_blames_no_reader(
    demo_database: Database, guarded_sink: SmtpSink, tmp_path: Path
) -> None:
    emails = await add_subscribers(demo_database, 30)
    wrong = f"smtp://digest%40sos.example:wrong@127.0.0.1:{guarded_sink.port}"
    _, halted = await send_through(demo_database, wrong, tmp_path)
    assert "535" in halted.halted and not halted.finished
    assert halted.sent == halted.failed == 0
    assert halted.deferred <= CONCURRENCY  # only the messages in hand when it gave up
    # It gave up at once instead of trying every reader in turn.
    assert guarded_sink.connections <= CONCURRENCY * 2
    assert await hard_failures(demo_database) == 0

    right = f"smtp://digest%40sos.example:s3cr%3At@127.0.0.1:{guarded_sink.port}"
    issue, resumed = await send_through(demo_database, right, tmp_path)
    assert resumed.sent == 30 and resumed.finished
    assert guarded_sink.recipients() == {e: 1 for e in emails}
    assert await delivery_counts(demo_database, issue.id) == {"sent": 30}


async def test_a_refused_sender_address_is_not_the_readers_fault(
    demo_database: Database, sink: SmtpSink, tmp_path: Path
) -> None:
    await add_subscribers(demo_database, 10)
    sink.refuse_sender = "553 5.7.1 sender address not allowed"
    _, summary = await send_through(demo_database, sink.url, tmp_path)
    assert summary.halted.startswith("sender refused: 553") and summary.failed == 0
    assert await hard_failures(demo_database) == 0
    assert sink.messages == []


async def test_the_scheduler_retries_a_run_the_mail_server_missed(
    demo_database: Database, tmp_path: Path
) -> None:
    """Down at the scheduled minute, up a moment later: the retry delivers, once each."""
    emails = await add_subscribers(demo_database, 12)
    await add_week_news(demo_database)  # the week weekly_run covers has something to say
    port = free_port()
    deps = deps_for(demo_database, f"smtp://127.0.0.1:{port}", tmp_path)
    due = datetime.now(UTC) - timedelta(minutes=5)
    results: list[bool] = []
    first_run, done = asyncio.Event(), asyncio.Event()

    async def job() -> bool:
        summary = await weekly_run(deps, post_retry_delay_s=0.01)
        results.append(summary.finished)
        first_run.set()
        if summary.finished:
            done.set()
        return summary.finished

    scheduler = DigestScheduler(
        job,
        f"{due.minute} {due.hour} * * *",
        "UTC",
        grace=timedelta(hours=1),
        retry_delays=(timedelta(seconds=1), timedelta(seconds=1)),
    )
    sink = SmtpSink()
    try:
        scheduler.start()
        async with asyncio.timeout(10):
            await first_run.wait()
        assert results == [False] and scheduler.retry_time() is not None
        await sink.start(port)  # the mail server is back before the retry
        async with asyncio.timeout(15):
            await done.wait()
    finally:
        scheduler.shutdown()
        await deps.sender.close()
        await sink.stop()
    assert results == [False, True]
    assert sink.recipients() == {e: 1 for e in emails}
    assert scheduler.retry_time() is None


async def test_retries_stop_after_the_last_delay(demo_database: Database) -> None:
    runs: list[int] = []

    async def job() -> bool:
        runs.append(1)
        return False

    due = datetime.now(UTC) - timedelta(minutes=5)
    scheduler = DigestScheduler(
        job,
        f"{due.minute} {due.hour} * * *",
        "UTC",
        grace=timedelta(hours=1),
        retry_delays=(timedelta(seconds=0.1), timedelta(seconds=0.1)),
    )
    try:
        assert scheduler.start() is not None  # missed a moment ago: runs at once
        await asyncio.sleep(1.5)
    finally:
        scheduler.shutdown()
    assert len(runs) == 3  # the run and its two retries; then only next week's time
    assert scheduler.retry_time() is None
