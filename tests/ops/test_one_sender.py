"""One digest runtime per process: the web form, chat /subscribe and the digest share one
sender, so SMTP_RATE and SMTP_POOL hold for the whole process as the mail server sees it,
and stopping the process ends every connection with QUIT."""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from pathlib import Path

import aiohttp

from bot.bootstrap import DEMO_CATALOG
from bot.runner import compose, web_route_installers
from bot.web.app import build_web_app
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from digest.runtime import open_digest
from digest.senders import Pacer
from digest.subscribers import EmailSubscriptions
from digest.web import DEPS_KEY
from tests import postgres
from tests.conftest import DatabaseTarget
from tests.digest.conftest import add_subscribers, add_week_news, make_settings
from tests.digest.smtp_sink import SmtpSink
from tests.ops.process import clean_env, free_port, spawn_run, wait_healthy
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SIGNING_SECRET, TEAM, command_body, sign

RATE = 20
POOL = 2
READERS = 100  # five seconds of digest at RATE: the sign-ups land in the middle of it
WEB_SIGNUPS = 12
SLACK_SIGNUPS = 4


async def fresh_database(
    db_target: DatabaseTarget, demo_database: Database
) -> tuple[str, Database, str | None]:
    """The subprocess needs a PostgreSQL database of its own rather than the test's schema."""
    if db_target.backend != "postgresql":
        return db_target.url, demo_database, None
    name = await postgres.create_database()
    url = postgres.pg_url(name)
    database = Database(url)
    await upgrade(database)
    await import_catalog(database, DEMO_CATALOG)
    return url, database, name


def most_in_one_second(times: list[float]) -> int:
    """The most transactions in any window [t, t + 1 s), t at a transaction."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def sign_up_on_the_web(
    http: aiohttp.ClientSession, base: str, email: str, client_ip: str
) -> str:
    """GET the form (CSRF cookie and token), then POST it, as a browser behind our proxy would.

    Each sign-up comes from its own address: the per-IP limit is not what this test measures.
    """
    async with http.get(f"{base}/subscribe") as form:
        page = await form.text()
        cookie = form.cookies["sos_csrf"].value
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None, page
    async with http.post(
        f"{base}/subscribe",
        data={"email": email, "csrf": token.group(1)},
        headers={"Cookie": f"sos_csrf={cookie}", "X-Forwarded-For": client_ip},
    ) as answer:
        body = await answer.text()
        assert answer.status == 200, body
        return body


async def sign_up_on_slack(http: aiohttp.ClientSession, base: str, fake: FakeSlack, n: int) -> None:
    body = command_body("/subscribe", f"slack{n}@example.com", fake.response_url(f"s{n}"))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with http.post(f"{base}/slack/events", data=body, headers=headers) as answer:
        assert answer.status == 200, await answer.text()


async def test_web_slack_and_digest_together_keep_to_rate_and_pool(
    db_target: DatabaseTarget, demo_database: Database, tmp_path: Path
) -> None:
    """SMTP_RATE=20, SMTP_POOL=2: never over 20 MAIL FROM in a second, never 3 connections."""
    url, database, name = await fresh_database(db_target, demo_database)
    readers = await add_subscribers(database, READERS)
    await add_week_news(database)  # a quiet week would (rightly) mail nobody
    sink = await SmtpSink().start()
    fake = FakeSlack()
    await fake.start()
    fake.add_workspace(TEAM, BOT_TOKEN)
    port = free_port()
    env = clean_env(
        DATABASE_URL=url,
        HTTP_PORT=str(port),
        SMTP_URL=sink.url,
        MAIL_POSTAL_ADDRESS="1 Test Street, Testville",
        SMTP_RATE=str(RATE),
        SMTP_POOL=str(POOL),
        # Every minute: at start-up the minute just passed counts as missed, so it sends now.
        DIGEST_CRON="* * * * *",
        PUBLIC_URL="https://sos.example",
        TRUSTED_PROXY="127.0.0.1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake.url,
        OUTBOX_DIR=str(tmp_path / "outbox"),
        HOME=str(tmp_path),
    )
    bot = await spawn_run(
        env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            await wait_healthy(http, base)
            await sink.wait_for(10, seconds=30)  # the digest is under way
            signups = [
                sign_up_on_the_web(http, base, f"web{n}@example.com", f"198.51.100.{n + 1}")
                for n in range(WEB_SIGNUPS)
            ]
            signups += [sign_up_on_slack(http, base, fake, n) for n in range(SLACK_SIGNUPS)]
            await asyncio.gather(*signups)
            await sink.wait_for(READERS + WEB_SIGNUPS + SLACK_SIGNUPS, seconds=60)
        bot.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(bot.communicate(), 15)
        log = output.decode()
        assert bot.returncode == 0, log

        delivered = Counter(r for m in sink.messages for r in m.recipients)
        signed_up = {f"web{n}@example.com" for n in range(WEB_SIGNUPS)}
        signed_up |= {f"slack{n}@example.com" for n in range(SLACK_SIGNUPS)}
        assert delivered == Counter({e: 1 for e in [*readers, *signed_up]})
        # The confirmations really went out while the digest was sending.
        order = [m.recipients[0] for m in sink.messages]
        last_reader = max(i for i, r in enumerate(order) if r.startswith("reader"))
        assert any(order.index(e) < last_reader for e in signed_up), order

        assert most_in_one_second(sink.transactions) <= RATE, sorted(sink.transactions)
        assert sink.most_open <= POOL, sink.most_open
        # Shut down cleanly: every connection was ended with QUIT, none left open.
        assert sink.quits == sink.connections and sink.open_now == 0, (sink.quits, log)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await fake.stop()
        await sink.stop()
        if name is not None:
            await database.dispose()
            await postgres.drop_database(name)


async def test_run_wires_one_sender_into_every_consumer(
    demo_database: Database, tmp_path: Path
) -> None:
    """Chat /subscribe, the web routes and the schedule all hold the runtime's one sender."""
    settings = make_settings(demo_database.url, smtp_url=None, outbox=tmp_path / "outbox")
    async with open_digest(demo_database, settings, {}) as digest:
        runtime = compose(settings, demo_database, digest, {}, console=False)
        app = build_web_app(runtime, web_route_installers(settings))
        web_deps = app[DEPS_KEY]
        chat = runtime.service.subscriptions
        assert isinstance(chat, EmailSubscriptions)
        schedule = next(p for p in runtime.parts if p.name == "digest")
        started = asyncio.create_task(schedule.start(runtime))
        try:
            for _ in range(100):
                if schedule.ready() is not None:
                    break
                await asyncio.sleep(0.01)
            assert schedule.ready() is not None
            assert schedule._deps is digest
        finally:
            # As the runner stops: drain first (a catch-up run may be under way, e.g. on
            # a Monday after the digest's hour), then cancel.
            await schedule.drain()
            started.cancel()
            await asyncio.gather(started, return_exceptions=True)
        assert web_deps is digest and runtime.digest_runtime() is digest
        assert chat.sender is digest.sender


async def test_closing_the_runtime_quits_every_connection(
    demo_database: Database, tmp_path: Path
) -> None:
    """Leaving open_digest sends QUIT on each pooled SMTP connection."""
    sink = await SmtpSink().start()
    try:
        settings = make_settings(demo_database.url, smtp_url=sink.url, outbox=tmp_path / "out")
        async with open_digest(demo_database, settings) as digest:
            subscriptions = digest.subscriptions()
            await asyncio.gather(
                subscriptions.request("a@example.com", source="web"),
                subscriptions.request("b@example.com", source="web"),
            )
            assert sink.open_now == sink.connections >= 1 and sink.quits == 0
        for _ in range(100):
            if sink.open_now == 0:
                break
            await asyncio.sleep(0.01)
        assert sink.quits == sink.connections and sink.open_now == 0
    finally:
        await sink.stop()


async def test_pacer_keeps_every_second_at_the_rate() -> None:
    """Many callers at once: no one-second window gets more than ``rate`` slots.

    The token bucket it replaced let ``rate + burst`` through in the first second.
    """
    pacer = Pacer(50)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(60)))
    assert most_in_one_second(times) <= 50
    assert max(times) - min(times) < 2.5  # and still keeps up (ideal: 1.2 s)
