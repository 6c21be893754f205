"""A flood of Discord /subscribe interactions, through the real Discord part and SMTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.service import CommandService
from bot.runner import Runtime
from db.engine import Database
from digest.pipeline import DigestDeps
from tests.digest.conftest import make_settings, smtp_sender
from tests.digest.smtp_sink import SmtpSink
from tests.discord.conftest import Bot, discord_settings
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import slash


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


@pytest.fixture
async def mail_bot(
    fake: FakeDiscord,
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    sink: SmtpSink,
    tmp_path: Path,
) -> AsyncIterator[Bot]:
    settings = discord_settings(fake, monkeypatch)
    mail = make_settings(demo_database.url, smtp_url=sink.url, outbox=tmp_path)
    deps = DigestDeps.from_settings(demo_database, mail, sender=smtp_sender(sink))
    service = CommandService(demo_database, subscriptions=deps.subscriptions())
    running = Bot(fake, Runtime(settings, demo_database, service))
    await running.start()
    yield running
    await running.stop()
    await deps.sender.close()


async def test_a_discord_subscribe_flood_lands_one_email(mail_bot: Bot, sink: SmtpSink) -> None:
    """Thirty /subscribe of one victim from ten users: one confirmation email."""
    for i in range(30):
        user = f"7500000000000{i % 10:05d}"
        await mail_bot.send(slash("subscribe", user_id=user, email="victim@example.com"))
    await asyncio.sleep(0.5)
    assert len(sink.messages) == 1


async def test_one_discord_user_spraying_addresses_is_held_to_five(
    mail_bot: Bot, sink: SmtpSink
) -> None:
    """Per person: the sixth address in ten minutes gets no email."""
    for i in range(8):
        await mail_bot.send(slash("subscribe", email=f"t{i}@example.com"))
    await asyncio.sleep(0.5)
    assert len(sink.messages) == 5
