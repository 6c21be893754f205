"""The week's snapshot: every section from real rows, an empty week, one issue per week."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from db.engine import Database
from db.models import CompareRequest
from db.queries.requests import record_compare
from db.queries.votes import Voter
from digest.issues import ensure_issue, issue_count
from digest.snapshot import SECTION_KEYS, build_snapshot, subject_of
from digest.snapshot_model import Asked
from digest.weeks import parse_week
from tests.digest.conftest import EVIL_NAME, WEEK, seed_week


async def test_every_section_is_filled_from_the_weeks_activity(demo_database: Database) -> None:
    """New verdicts, comparisons, picks, movers, changed verdicts and unknown names all appear."""
    await seed_week(demo_database)
    snapshot = await build_snapshot(demo_database, WEEK)
    assert not snapshot.empty
    for key in SECTION_KEYS:
        assert getattr(snapshot, key), key
    assert {"Claude 4 Sonnet", "SmolVLM2 Turbo"} <= {t.name for t in snapshot.new_verdicts}
    top = snapshot.comparisons[0]
    assert top.requests == 3 and top.decision
    # "Mystery AI" was typed by one person only: not newsletter material.
    assert snapshot.asked_about == (Asked(name="Sora <2> & friends", requests=3, people=3),)
    assert snapshot.asked_about[0].asked_by == "asked by 3 people"
    assert EVIL_NAME in {p.name for p in snapshot.most_shipped + snapshot.most_skipped}
    mover = next(m for m in snapshot.movers if m.before_pct == 100)
    assert mover.after_pct < 100 and mover.delta < 0
    assert snapshot.verdict_changes[0].before != snapshot.verdict_changes[0].after


async def test_a_week_without_activity_is_empty_and_says_so(demo_database: Database) -> None:
    """No section has content and the subject calls it a quiet week."""
    snapshot = await build_snapshot(demo_database, parse_week("2026-W02"))
    assert snapshot.empty
    assert all(not getattr(snapshot, key) for key in SECTION_KEYS)
    assert subject_of(snapshot) == "A quiet week"


async def test_racing_builders_store_one_issue_and_agree(demo_database: Database) -> None:
    """Five concurrent builds of the same week leave one row that all of them return."""
    await seed_week(demo_database)
    results = await asyncio.gather(*(ensure_issue(demo_database, WEEK) for _ in range(5)))
    assert await issue_count(demo_database) == 1
    assert sum(built for _, built in results) == 1
    assert len({issue.id for issue, _ in results}) == 1
    assert len({repr(issue.snapshot) for issue, _ in results}) == 1


async def test_a_stored_issue_does_not_change_when_the_data_does(demo_database: Database) -> None:
    """A re-send shows what the first send showed, even after new activity."""
    first, _ = await ensure_issue(demo_database, WEEK)
    await seed_week(demo_database)
    again, built = await ensure_issue(demo_database, WEEK)
    assert not built
    assert again.snapshot == first.snapshot


async def test_one_persons_repeated_unknown_name_stays_out(demo_database: Database) -> None:
    """However often one person types a name, it needs a second person to be published."""
    during = WEEK.start + timedelta(days=1)
    troll = Voter("discord", "g", "troll")
    async with demo_database.write() as session:
        for _ in range(20):
            await record_compare(session, troll, ("buy my coin", None), ("Claude 4 Sonnet", 1))
        for user in ("a", "b"):
            await record_compare(
                session, Voter("slack", "t", user), ("Sora 3", None), ("sora  3 ", None)
            )
        await session.execute(update(CompareRequest).values(created_at=during))
    snapshot = await build_snapshot(demo_database, WEEK)
    assert snapshot.asked_about == (Asked(name="Sora 3", requests=4, people=2),)
    assert snapshot.asked_about[0].asked_by == "asked by 2 people"
    assert "coin" not in subject_of(snapshot)
