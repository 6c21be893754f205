"""A flood of signed Slack /subscribe requests at one victim, through the whole app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.service import CommandService
from bot.runner import Runtime
from digest.pipeline import DigestDeps
from tests.digest.conftest import make_settings, smtp_sender
from tests.digest.smtp_sink import SmtpSink
from tests.slack.conftest import Starter
from tests.slack.signing import command_body


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


async def test_a_slack_subscribe_flood_lands_one_email(
    start_app: Starter, sink: SmtpSink, tmp_path: Path
) -> None:
    """Eighty signed /subscribe from twenty users: one email, and none after the flood."""
    deps: list[DigestDeps] = []

    def wire(runtime: Runtime) -> None:
        settings = make_settings(runtime.database.url, smtp_url=sink.url, outbox=tmp_path)
        wired = DigestDeps.from_settings(runtime.database, settings, sender=smtp_sender(sink))
        deps.append(wired)
        runtime.service = CommandService(runtime.database, subscriptions=wired.subscriptions())

    app = await start_app(before=wire)
    try:
        for i in range(80):
            body = command_body(
                "/subscribe",
                "victim@example.com",
                app.fake.response_url(f"k{i}"),
                user=f"U{i % 20:04d}",
            )
            assert (await app.post(body)).status == 200
        await app.fake.wait_for(
            lambda calls: sum(c.method == "response_url" for c in calls) >= 80, within=60
        )
        await asyncio.sleep(0.5)
        assert len(sink.messages) == 1
        answers = [c.payload for c in app.fake.named("response_url")]
        assert len({str(a.get("text")) for a in answers}) == 1, "every request, one answer"
    finally:
        await deps[0].sender.close()
