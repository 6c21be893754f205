"""A sender killed with SIGKILL mid-run, then restarted: nobody missed, at most one repeat."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from digest.delivery import delivery_counts
from digest.issues import find_issue
from tests import postgres
from tests.digest.conftest import add_subscribers
from tests.digest.smtp_sink import SmtpSink

SUBSCRIBERS = 240
WEEK = "2026-W21"


@pytest.fixture(params=["sqlite", "postgresql"])
async def whole_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own: the subprocess gets only DATABASE_URL (no schema)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
        return
    name = await postgres.create_database()
    try:
        yield postgres.pg_url(name)
    finally:
        await postgres.drop_database(name)


async def _sender(url: str, sink: SmtpSink, folder: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SMTP_URL": sink.url,
        "MAIL_POSTAL_ADDRESS": "1 Test Street, Testville",
        "SMTP_RATE": "150",
        "SMTP_POOL": "1",
        "PUBLIC_URL": "https://sos.example",
        "SECRET_KEY": "crash-test",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.cli import main; main()", "digest", "send", "--week", WEEK,
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_killed_sender_resumes_without_loss(
    whole_database: str, sink: SmtpSink, tmp_path: Path
) -> None:
    """SIGKILL after some mail went out; a restart delivers the rest exactly once."""
    database = Database(whole_database)
    try:
        await upgrade(database)
        # The demo catalog reviews tools in 2026-W21: data before it and news in it.
        await import_catalog(database, DEMO_CATALOG)
        emails = await add_subscribers(database, SUBSCRIBERS)
    finally:
        await database.dispose()

    first = await _sender(whole_database, sink, tmp_path)
    await sink.wait_for(40, seconds=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    before_restart = len(sink.messages)
    assert before_restart < SUBSCRIBERS, "the sender finished before it could be killed"

    second = await _sender(whole_database, sink, tmp_path)
    _, err = await asyncio.wait_for(second.communicate(), 60)
    assert second.returncode == 0, err.decode()

    received = sink.recipients()
    assert set(received) == set(emails), "somebody was skipped"
    repeats = {email: n for email, n in received.items() if n > 1}
    # SMTP_POOL=1: only the single message in flight at the kill may go out twice.
    assert sum(n - 1 for n in repeats.values()) <= 1, repeats
    database = Database(whole_database)
    try:
        issue = await find_issue(database, WEEK)
        assert issue is not None
        assert await delivery_counts(database, issue.id) == {"sent": SUBSCRIBERS}
    finally:
        await database.dispose()
