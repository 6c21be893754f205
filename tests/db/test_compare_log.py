"""The compare log stores every request once, under its person, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import CompareRequest, Tool
from db.queries.people import resolve_many_sync
from db.queries.requests import CompareLog, record_compares
from db.queries.votes import Voter


def _log(user: str, first: str, first_id: int | None = None) -> CompareLog:
    voter = Voter(platform="slack", workspace="T1", user_id=user)
    return CompareLog(voter, (first, first_id), ("second", None))


async def _stored(database: Database) -> list[tuple[int | None, str, str, int | None]]:
    async with database.read() as session:
        rows = await session.scalars(select(CompareRequest).order_by(CompareRequest.id))
        return [(r.person_id, r.user_id, r.first_query, r.first_tool_id) for r in rows]


async def _tool_ids(database: Database) -> list[int]:
    async with database.read() as session:
        return list(await session.scalars(select(Tool.id).order_by(Tool.id).limit(2)))


async def test_known_and_new_people_in_one_batch_are_each_stored_once(
    demo_database: Database,
) -> None:
    database = demo_database
    first, second = await _tool_ids(database)
    known = await database.run_write(resolve_many_sync, [_log("UOLD", "x").voter.identity])
    old_person = next(iter(known.values()))
    batch = [
        _log("UOLD", "cursor", first),
        _log("UNEW", "copilot"),
        _log("UOLD", "O'Brien; --", second),
    ]
    await record_compares(database, batch)
    rows = await _stored(database)
    assert sorted(r[1:] for r in rows) == sorted(
        [("UOLD", "cursor", first), ("UNEW", "copilot", None), ("UOLD", "O'Brien; --", second)]
    )
    persons = {user: person for person, user, _, _ in rows}
    assert persons["UOLD"] == old_person
    assert persons["UNEW"] is not None and persons["UNEW"] != old_person
    # The newcomer is known from now on: a second batch reuses the person made for them.
    await record_compares(database, [_log("UNEW", "again")])
    assert {p for p, user, _, _ in await _stored(database) if user == "UNEW"} == {persons["UNEW"]}


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
async def test_on_postgresql_known_people_take_no_transaction(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has no round trips to save: there one transaction stores the batch."""
    await database.run_write(resolve_many_sync, [_log("UOLD", "x").voter.identity])

    async def no_transaction(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a transaction for people already known")

    monkeypatch.setattr(database, "run_write", no_transaction)
    await record_compares(database, [_log("UOLD", "a"), _log("UOLD", "b")])
    assert [r[2] for r in await _stored(database)] == ["a", "b"]
