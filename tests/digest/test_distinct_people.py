"""The digest counts people, not accounts or requests, wherever it counts a crowd."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from db.engine import Database
from db.models import CompareRequest, Tool
from db.queries.requests import record_compare
from db.queries.votes import Voter
from digest.channels import digest_post
from digest.render import render_text
from digest.snapshot import build_snapshot
from tests.digest.conftest import WEEK

# One Discord person in two servers and a DM.
ONE_PERSON = [
    Voter("discord", "g1", "42"),
    Voter("discord", "g2", "42"),
    Voter("discord", "42", "42"),
]


async def _ask(database: Database, voters: list[Voter]) -> None:
    async with database.write() as session:
        ids = list((await session.scalars(select(Tool.id).order_by(Tool.id))).all())
        for voter in voters:
            await record_compare(session, voter, ("a", ids[1]), ("b", ids[2]))
            await record_compare(session, voter, ("Nimbus 9", None), ("b", ids[2]))
    async with database.write() as session:
        await session.execute(
            update(CompareRequest).values(created_at=WEEK.start + timedelta(days=2))
        )


async def test_one_person_asking_everywhere_counts_once(demo_database: Database) -> None:
    """Three accounts of one Discord user: 'asked by 1 person', and no 'asked about' entry."""
    await _ask(demo_database, ONE_PERSON)
    snapshot = await build_snapshot(demo_database, WEEK)
    [pair] = snapshot.comparisons
    assert (pair.requests, pair.people, pair.asked_by) == (3, 1, "asked by 1 person")
    # Needs two people: one person typing it in three places is not a crowd.
    assert snapshot.asked_about == ()
    assert "asked by 1 person" in render_text(snapshot, "https://example.com")


async def test_two_people_show_as_two_in_both_sections(demo_database: Database) -> None:
    await _ask(demo_database, [*ONE_PERSON, Voter("slack", "T1", "U1")])
    snapshot = await build_snapshot(demo_database, WEEK)
    [pair] = snapshot.comparisons
    assert pair.asked_by == "asked by 2 people"
    [asked] = snapshot.asked_about
    assert (asked.name, asked.people, asked.asked_by) == (
        "Nimbus 9",
        2,
        "asked by 2 people",
    )
    text = render_text(snapshot, "https://example.com")
    assert "Nimbus 9 (asked by 2 people)" in text
    post = digest_post(snapshot, "https://example.com")
    details = [item.detail for section in post.sections for item in section.items]
    assert "asked by 2 people" in details
    assert any(d.startswith("asked by 2 people · ") for d in details)
