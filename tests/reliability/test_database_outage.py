"""PostgreSQL goes away mid-run and comes back: clear answers, nothing half-written, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.bootstrap import DEMO_CATALOG
from bot.core.context import CommandContext
from bot.core.guard import UNAVAILABLE
from bot.core.service import CommandService
from bot.core.views import CompareCard, ErrorView, VoteResult
from bot.runner import Runtime
from bot.settings import Settings, load_settings
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from db.models import CompareRequest, Vote
from digest.pipeline import DigestDeps
from tests import postgres
from tests.discord.checks import is_ephemeral
from tests.discord.conftest import WAIT_S, Bot, discord_settings
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import slash
from tests.reliability.tcp_proxy import TcpProxy
from tests.slack.conftest import Starter
from tests.slack.test_commands import command


@pytest.fixture
async def proxied(pg_database: str) -> AsyncIterator[tuple[TcpProxy, Database]]:
    schema = await postgres.create_schema(pg_database)
    proxy = await TcpProxy(postgres.PG_HOST, postgres.PG_PORT).start()
    url = f"postgresql+asyncpg://{postgres.PG_USER}@127.0.0.1:{proxy.port}/{pg_database}"
    database = Database(url, schema=schema)
    await upgrade(database)
    await import_catalog(database, DEMO_CATALOG)
    yield proxy, database
    await database.dispose()
    await proxy.close()


async def counts(database: Database) -> tuple[int, int]:
    async with database.read() as session:
        votes = await session.scalar(select(func.count(Vote.id)))
        requests = await session.scalar(select(func.count(CompareRequest.id)))
    return int(votes or 0), int(requests or 0)


async def test_outage_answers_try_again_and_recovers(proxied: tuple[TcpProxy, Database]):
    proxy, database = proxied
    service = CommandService(database)
    ctx = CommandContext("discord", "g", "u1")
    assert isinstance(await service.vote(ctx, "cursor", "ship"), VoteResult)
    assert isinstance(await service.compare(ctx, "cursor", "github copilot"), CompareCard)

    proxy.cut()
    replies = await asyncio.gather(
        service.vote(CommandContext("discord", "g", "u2"), "cursor", "skip"),
        service.compare(ctx, "cursor", "github copilot"),
        service.bookmark(ctx, "cursor"),
        service.run(ctx, "/bookmarks"),
    )
    for reply in replies:
        assert isinstance(reply, ErrorView), reply
        assert reply.code == "unavailable" and "try again" in reply.message

    proxy.restore()
    # No restart: the pool notices dead connections and opens new ones.
    vote = await service.vote(CommandContext("discord", "g", "u3"), "cursor", "skip")
    assert isinstance(vote, VoteResult) and vote.community.total == 2
    # The refused vote and compare left nothing behind: 2 votes (u1, u3), 1 compare request.
    assert await counts(database) == (2, 1)


async def test_outage_during_a_vote_storm_loses_only_refused_votes(
    proxied: tuple[TcpProxy, Database],
):
    """Votes answered as counted are stored; the ones refused are not; none half-written."""
    proxy, database = proxied
    service = CommandService(database)

    async def voter(i: int) -> object:
        await asyncio.sleep(i * 0.002)
        return await service.vote(CommandContext("discord", "g", f"v{i}"), "cursor", "ship")

    storm = [asyncio.create_task(voter(i)) for i in range(60)]
    await asyncio.sleep(0.05)
    proxy.cut()
    await asyncio.sleep(0.05)
    proxy.restore()
    replies = await asyncio.gather(*storm)
    counted = {i for i, r in enumerate(replies) if isinstance(r, VoteResult)}
    refused = [r for r in replies if isinstance(r, ErrorView)]
    assert all(r.code == "unavailable" for r in refused)
    async with database.read() as session:
        stored = {row[0] for row in await session.execute(select(Vote.user_id))}
    assert {f"v{i}" for i in counted} <= stored
    # A vote whose commit raced the cut may be stored though its answer said "try again":
    # retrying it is harmless because votes are upserts.
    assert len(stored) <= len(replies)


def subscribing_service(database: Database, settings: Settings) -> CommandService:
    """The service as `run` wires it: chat /subscribe goes through the real email sign-up."""
    subscriptions = DigestDeps.from_settings(database, settings).subscriptions()
    return CommandService(database, subscriptions=subscriptions)


async def test_subscribe_during_an_outage_answers_try_again(
    proxied: tuple[TcpProxy, Database], monkeypatch: pytest.MonkeyPatch
):
    proxy, database = proxied
    monkeypatch.setenv("HTTP_PORT", "0")
    service = subscribing_service(database, load_settings(env_file=None))
    await service.index.refresh(database)
    proxy.cut()
    reply = await service.subscribe(CommandContext("console", "local", "u"), "ada@example.com")
    assert reply == UNAVAILABLE


async def test_discord_subscribe_during_an_outage_is_a_clear_private_answer(
    proxied: tuple[TcpProxy, Database], fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
):
    """Not "Something went wrong": the database answer, only to the person who asked."""
    proxy, database = proxied
    settings = discord_settings(fake, monkeypatch)
    running = Bot(fake, Runtime(settings, database, subscribing_service(database, settings)))
    await running.start()
    try:
        proxy.cut()
        interaction = slash("subscribe", email="ada@example.com")
        edited = running.expect_webhook(interaction, "PATCH")
        callback = await running.send(interaction)
        message = (
            callback.body["data"]
            if callback.body["type"] == 4
            else (await asyncio.wait_for(edited, WAIT_S)).body
        )
        assert is_ephemeral(callback.body.get("data") or {})
        assert "database is not answering" in message["content"]
    finally:
        await running.stop()


async def test_slack_subscribe_during_an_outage_is_a_clear_ephemeral_answer(
    proxied: tuple[TcpProxy, Database], start_app: Starter
):
    proxy, database = proxied

    def swap(runtime: Runtime) -> None:
        runtime.service = subscribing_service(database, runtime.settings)

    app = await start_app(before=swap)
    await app.runtime.service.index.refresh(database)
    proxy.cut()
    answer = await command(app, "/subscribe", "ada@example.com", "sub")
    assert answer["response_type"] == "ephemeral"
    assert "database is not answering" in str(answer["text"])
