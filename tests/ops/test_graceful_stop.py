"""SIGTERM in the middle of a digest send: the real process finishes the messages in hand,
hands its other claims back, closes everything and exits 0 within 10 s; a restart then
delivers the rest, nobody twice."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from tests import postgres
from tests.conftest import DatabaseTarget
from tests.digest.conftest import add_subscribers, add_week_news
from tests.digest.smtp_sink import SmtpSink
from tests.ops.process import clean_env, free_port, spawn_run

SUBSCRIBERS = 400


async def start_run(url: str, smtp_url: str, tmp_path: Path) -> asyncio.subprocess.Process:
    env = clean_env(
        DATABASE_URL=url,
        HTTP_PORT=str(free_port()),
        SMTP_URL=smtp_url,
        MAIL_POSTAL_ADDRESS="1 Test Street, Testville",
        SMTP_RATE="150",  # a few seconds of sending, so the signal lands mid-run
        SMTP_POOL="2",
        # Every minute: at start-up the minute just passed counts as missed, so it sends now.
        DIGEST_CRON="* * * * *",
        PUBLIC_URL="https://sos.example",
        OUTBOX_DIR=str(tmp_path / "outbox"),
        HOME=str(tmp_path),
    )
    return await spawn_run(
        env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path
    )


async def delivery_states(database: Database) -> Counter[str]:
    async with database.read() as session:
        rows = await session.execute(
            text("SELECT status, count(*) FROM deliveries GROUP BY status")
        )
        return Counter({str(r[0]): int(r[1]) for r in rows})


async def test_sigterm_mid_send_finishes_in_flight_and_releases_claims(
    db_target: DatabaseTarget, demo_database: Database, tmp_path: Path
) -> None:
    if db_target.backend == "postgresql":
        # The subprocess needs a database of its own rather than the test's schema.
        name = await postgres.create_database()
        url = postgres.pg_url(name)
        database = Database(url)
        await upgrade(database)
        await import_catalog(database, DEMO_CATALOG)
    else:
        url, database, name = db_target.url, demo_database, None
    emails = await add_subscribers(database, SUBSCRIBERS)
    await add_week_news(database)  # a quiet week would (rightly) mail nobody
    sink = await SmtpSink().start()
    try:
        bot = await start_run(url, sink.url, tmp_path)
        await sink.wait_for(80, seconds=60)
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(bot.communicate(), 15)
        took = time.monotonic() - started
        log = output.decode()
        assert bot.returncode == 0, log
        assert took < 10, log
        assert "Traceback" not in log, log

        states = await delivery_states(database)
        delivered = Counter(r for m in sink.messages for r in m.recipients)
        assert 0 < states["sent"] < SUBSCRIBERS, states  # stopped mid-run
        assert states["sending"] == 0, f"claims left behind: {states}"
        # Every message that reached the server was recorded as sent: none cut off mid-way.
        assert sum(delivered.values()) == states["sent"], (states, len(sink.messages))

        bot = await start_run(url, sink.url, tmp_path)
        await sink.wait_for(SUBSCRIBERS, seconds=60)
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.communicate(), 15)
        delivered = Counter(r for m in sink.messages for r in m.recipients)
        assert delivered == Counter({e: 1 for e in emails})
    finally:
        await sink.stop()
        if name is not None:
            await database.dispose()
            await postgres.drop_database(name)
