"""The SMTP server disappears mid-send and comes back: nobody skipped, no extra copies
beyond the messages in flight when it went."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from bot.settings import MailSettings
from db.engine import Database
from digest.pipeline import DigestDeps, send_week
from digest.senders import RetryPolicy, SmtpSender, SmtpTarget
from tests.digest.conftest import WEEK, add_subscribers, make_settings
from tests.digest.smtp_sink import SmtpSink
from tests.reliability.tcp_proxy import TcpProxy

SUBSCRIBERS = 200
CONNECTIONS = 2


async def test_smtp_outage_mid_send_resumes_without_losing_anyone(
    demo_database: Database, tmp_path: Path
) -> None:
    sink = await SmtpSink().start()
    proxy = await TcpProxy("127.0.0.1", sink.port).start()
    url = f"smtp://127.0.0.1:{proxy.port}"
    settings = make_settings(demo_database.url, smtp_url=url, outbox=tmp_path / "outbox")
    assert isinstance(settings.mail, MailSettings)
    sender = SmtpSender(
        SmtpTarget.from_url(url),
        rate=400,  # slow enough that the outage lands mid-run
        concurrency=CONNECTIONS,
        retry=RetryPolicy(attempts=6, base_delay_s=0.05, max_delay_s=0.5),
        timeout_s=5,
    )
    deps = DigestDeps.from_settings(demo_database, settings, sender=sender)
    emails = await add_subscribers(demo_database, SUBSCRIBERS)

    async def outage() -> int:
        await sink.wait_for(60)
        proxy.cut()
        arrived_when_cut = len(sink.messages)
        await asyncio.sleep(0.4)
        proxy.restore()
        return arrived_when_cut

    try:
        cut_at, (_, first) = await asyncio.gather(outage(), send_week(deps, WEEK))
        # Whatever the first run could not deliver (retries spent) the next one resumes.
        _, second = await send_week(deps, WEEK)
    finally:
        await sender.close()
        await proxy.close()
        await sink.stop()

    assert 60 <= cut_at < SUBSCRIBERS, "the outage happened mid-send"
    received = Counter(r for m in sink.messages for r in m.recipients)
    assert set(received) == set(emails), "nobody skipped"
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= CONNECTIONS, f"{duplicates} duplicates beyond the messages in flight"
    assert first.sent + second.sent == SUBSCRIBERS
