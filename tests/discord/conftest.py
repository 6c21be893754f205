"""The real Discord part of ``shiporskip run`` against the fake Discord, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.service import CommandService
from bot.discord_bot.part import discord_part
from bot.runner import Runtime, enabled_parts
from bot.settings import Settings, load_settings
from db.engine import Database
from tests.discord.fake_discord import Call, FakeDiscord

WAIT_S = 10.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def discord_settings(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Settings:
    for key, value in {**fake.env(), **extra}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HTTP_PORT", "0")
    return load_settings(env_file=None)


class Bot:
    """One running Discord part (a fresh client) plus helpers to talk to it."""

    def __init__(self, fake: FakeDiscord, runtime: Runtime) -> None:
        self.fake = fake
        self.runtime = runtime
        self.task: asyncio.Task[None] | None = None

    async def start(self, *, answer_within_s: float | None = None) -> None:
        if answer_within_s is None:
            part = enabled_parts(self.runtime.settings, console=False)["discord"]
            self.task = asyncio.create_task(part(self.runtime))
        else:
            self.task = asyncio.create_task(
                discord_part(self.runtime, answer_within_s=answer_within_s)
            )
        connected = len([s for s in self.fake.sessions if s.identified.is_set()])
        await self.fake.wait_identified(connected + 1)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def send(self, interaction: dict[str, Any]) -> Call:
        """Dispatch ``interaction`` and return the interaction callback the bot made."""
        prefix = f"/interactions/{interaction['id']}/"
        answered = self.fake.expect(lambda c: c.path.startswith(prefix))
        await self.fake.dispatch_interaction(interaction)
        return await asyncio.wait_for(answered, WAIT_S)

    async def send_and_followup(self, interaction: dict[str, Any]) -> tuple[Call, Call]:
        """A callback plus the next webhook call (followup or @original edit)."""
        token = interaction["token"]
        followed = self.fake.expect(lambda c: c.path.startswith("/webhooks/") and token in c.path)
        callback = await self.send(interaction)
        return callback, await asyncio.wait_for(followed, WAIT_S)

    def expect_webhook(self, interaction: dict[str, Any], method: str) -> asyncio.Future[Call]:
        token = interaction["token"]
        return self.fake.expect(
            lambda c: c.path.startswith("/webhooks/") and token in c.path and c.method == method
        )


@pytest.fixture
async def bot(
    fake: FakeDiscord, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    settings = discord_settings(fake, monkeypatch)
    runtime = Runtime(settings, demo_database, CommandService(demo_database))
    running = Bot(fake, runtime)
    await running.start()
    yield running
    await running.stop()
