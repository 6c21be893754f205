"""Brigade visibility: `votes report`, the spike gauge and `status` flag a vote raid."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot import vote_spikes
from bot.bootstrap import DEMO_CATALOG
from bot.cli import app
from bot.status import database_facts
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from db.models import Person, Tool, utcnow
from db.queries.vote_report import vote_report
from db.queries.votes import Voter, cast_vote


async def seed_raid(database: Database) -> tuple[str, str]:
    """A steady tool (2 votes a day from regulars) that gets 12 votes from one new server."""
    now = utcnow()
    async with database.write() as session:
        raided, quiet = list((await session.scalars(select(Tool).order_by(Tool.id).limit(2))).all())
        for day in range(1, 7):
            for n in range(2):
                voter = Voter("discord", f"g{n}", f"regular{day}-{n}")
                at = now - timedelta(days=day, hours=1)
                await cast_vote(session, voter, raided.id, "ship", now=at)
        # Regulars have been around for a month.
        await session.execute(update(Person).values(created_at=now - timedelta(days=30)))
        for n in range(12):
            await cast_vote(session, Voter("discord", "raid", f"new{n}"), raided.id, "skip")
        await cast_vote(session, Voter("slack", "T1", "U1"), quiet.id, "ship")
    return raided.slug, quiet.slug


async def test_report_counts_per_day_newcomers_top_place_and_flags_the_spike(
    demo_database: Database,
) -> None:
    raided, quiet = await seed_raid(demo_database)
    async with demo_database.read() as session:
        report = {t.slug: t for t in await vote_report(session, days=7)}
    tool = report[raided]
    assert tool.per_day == (2, 2, 2, 2, 2, 2, 12)
    assert tool.new_share == 0.5
    assert (tool.top_place, tool.top_share) == ("discord:raid", 0.5)
    assert tool.spike and not report[quiet].spike
    facts = dict(await database_facts(demo_database))
    assert facts["vote spikes"].startswith(f"{raided} (12 in 24h")
    await vote_spikes.refresh_gauge(demo_database, force=True)
    assert REGISTRY.get_sample_value("shiporskip_vote_spike", {"tool": raided}) == 1
    assert REGISTRY.get_sample_value("shiporskip_vote_spike", {"tool": quiet}) == 0


async def test_no_votes_no_spikes(demo_database: Database) -> None:
    facts = dict(await database_facts(demo_database))
    assert facts["vote spikes"] == "none"


def test_votes_report_command(process_url: str) -> None:
    async def prepare() -> str:
        database = Database(process_url)
        try:
            await upgrade(database)
            await import_catalog(database, DEMO_CATALOG)
            return (await seed_raid(database))[0]
        finally:
            await database.dispose()

    raided = asyncio.run(prepare())
    result = CliRunner().invoke(
        app, ["votes", "report", "--days", "7"], env={"DATABASE_URL": process_url}
    )
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if raided in row)
    assert "2 2 2 2 2 2 12" in line and "SPIKE" in line and "discord:raid 50%" in line
