"""Digest fixtures: an SMTP sink, settings, a seeded week, and the dependencies wired up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.settings import (
    AppSettings,
    DatabaseSettings,
    DigestSettings,
    DiscordSettings,
    HttpSettings,
    MailSettings,
    Settings,
    SlackSettings,
)
from db.digest_models import Subscriber
from db.engine import Database
from db.models import CompareRequest, Review, ReviewVersion, Tool
from db.queries.requests import record_compare
from db.queries.votes import Voter, cast_vote
from digest.pipeline import DigestDeps
from digest.senders import RetryPolicy, SmtpSender, SmtpTarget
from digest.weeks import Week, last_complete_week, parse_week
from tests.digest.smtp_sink import SmtpSink

WEEK = parse_week("2026-W21")
EVIL_NAME = 'Evil <script>alert("x")</script> & Co'
EVIL_URL = 'https://evil.example/?a=1&b="><script>alert(1)</script>'
PUBLIC_URL = "https://sos.example"
POSTAL_ADDRESS = "Ship or Skip, 1 Test Street, 75001 Testville"


def make_settings(url: str, *, smtp_url: str | None, outbox: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=url),
        app=AppSettings(public_url=PUBLIC_URL, secret_key="test-secret"),  # type: ignore[arg-type]
        discord=DiscordSettings(),
        slack=SlackSettings(),
        http=HttpSettings(),
        mail=MailSettings(
            smtp_url=smtp_url,
            outbox_dir=outbox,
            smtp_rate=10_000,
            mail_postal_address=POSTAL_ADDRESS,
        ),
        digest=DigestSettings(),
    )


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


def smtp_sender(sink: SmtpSink, *, concurrency: int = 2) -> SmtpSender:
    return SmtpSender(
        SmtpTarget.from_url(sink.url),
        rate=10_000,
        concurrency=concurrency,
        retry=RetryPolicy(attempts=3, base_delay_s=0.01),
        timeout_s=5,
    )


@pytest.fixture
async def deps(
    demo_database: Database, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[DigestDeps]:
    settings = make_settings(demo_database.url, smtp_url=sink.url, outbox=tmp_path / "outbox")
    wired = DigestDeps.from_settings(demo_database, settings, sender=smtp_sender(sink))
    yield wired
    await wired.sender.close()


async def add_subscribers(
    database: Database, count: int, *, status: str = "confirmed"
) -> list[str]:
    emails = [f"reader{i:05d}@example.com" for i in range(count)]
    async with database.write() as session:
        session.add_all(Subscriber(email=e, status=status, source="test") for e in emails)
    return emails


async def seed_week(database: Database, week: Week = WEEK) -> None:
    """Activity in every section: votes, requests (known and unknown), a changed verdict."""
    during = week.start + timedelta(days=2)
    before = week.start - timedelta(days=10)
    async with database.write() as session:
        tools = list((await session.scalars(select(Tool).order_by(Tool.id))).all())
        tools[0].name = EVIL_NAME
        for tool in tools:
            if tool.name == "SmolVLM2 Turbo":  # reviewed in WEEK, so its card shows a link
                tool.url = EVIL_URL
        ids = [t.id for t in tools]
        # Votes from before the week, some changed during it: movers.
        for user in range(10):
            await cast_vote(
                session, Voter("discord", "g", f"old{user}"), ids[4], "ship", now=before
            )
        for user in range(12):
            for offset, tool_id in enumerate(ids[:4]):
                verdict = "ship" if (user + offset) % 3 else "skip"
                if offset == 3:
                    verdict = "skip" if user % 4 else "ship"
                await cast_vote(
                    session, Voter("slack", "t", f"u{user}"), tool_id, verdict, now=during
                )
        for user in range(6):
            await cast_vote(
                session, Voter("discord", "g", f"old{user}"), ids[4], "skip", now=during
            )
        for user in range(3):
            voter = Voter("discord", "g", f"c{user}")
            await record_compare(session, voter, ("x", ids[1]), ("y", ids[2]))
            await record_compare(session, voter, ("Sora <2> & friends", None), ("y", ids[2]))
        await record_compare(
            session, Voter("discord", "g", "z"), ("x", ids[0]), ("Mystery AI", None)
        )
        # A critic changed their mind during the week: the panel verdict flips.
        reviews = list(
            (await session.scalars(select(Review).where(Review.tool_id == ids[5]))).all()
        )
        for review in reviews:
            session.add(
                ReviewVersion(
                    tool_id=review.tool_id,
                    critic_id=review.critic_id,
                    score=20,
                    verdict="skip" if review.verdict == "ship" else "ship",
                    text="earlier take",
                    reviewed=review.reviewed,
                    superseded_at=during,
                )
            )
    async with database.write() as session:
        await session.execute(update(CompareRequest).values(created_at=during))


async def add_week_news(database: Database, week: Week | None = None) -> Week:
    """One community vote inside ``week`` (default: the last complete one), so its issue
    has something to say and is mailed (a quiet week is not). The database needs tools."""
    target = week or last_complete_week()
    async with database.write() as session:
        tool_id = await session.scalar(select(Tool.id).order_by(Tool.id).limit(1))
        assert tool_id is not None, "load the catalog first"
        voter = Voter("discord", "g", f"news-{target.label}")
        await cast_vote(session, voter, tool_id, "ship", now=target.start + timedelta(days=1))
    return target
