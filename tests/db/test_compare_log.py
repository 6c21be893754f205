"""The compare log stores every request once, under its person, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from db.engine import Database
from db.models import CompareRequest, Person, Tool
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


async def _people(database: Database) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Person)) or 0)


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
async def test_on_postgresql_newcomers_take_no_transaction_either(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement stores the batch: a newcomer asking twice gets one person."""
    known = await database.run_write(resolve_many_sync, [_log("UOLD", "x").voter.identity])
    people_before = await _people(database)

    async def no_transaction(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a transaction for a batch no other process raced")

    monkeypatch.setattr(database, "run_write", no_transaction)
    batch = [_log("UNEW", "a"), _log("UOLD", "b"), _log("UTWO", "c"), _log("UNEW", "d")]
    await record_compares(database, batch)
    rows = await _stored(database)
    assert [(user, query) for _, user, query, _ in rows] == [
        ("UNEW", "a"),
        ("UOLD", "b"),
        ("UTWO", "c"),
        ("UNEW", "d"),
    ]
    persons = {user: {p for p, u, _, _ in rows if u == user} for user in ("UNEW", "UOLD", "UTWO")}
    assert persons["UOLD"] == set(known.values())
    assert len(persons["UNEW"]) == 1 and len(persons["UTWO"]) == 1
    assert persons["UNEW"] != persons["UTWO"]
    # Exactly one person per newcomer, each with the identity it was made for.
    assert await _people(database) == people_before + 2
    monkeypatch.undo()
    again = await database.run_write(
        resolve_many_sync, [_log("UNEW", "").voter.identity, _log("UTWO", "").voter.identity]
    )
    assert set(again.values()) == persons["UNEW"] | persons["UTWO"]


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
async def test_on_postgresql_a_newcomer_created_meanwhile_by_another_process(
    database: Database,
) -> None:
    """The other process's person wins: the request is stored under it, ours is dropped."""
    identity = _log("URACE", "").voter.identity
    people_before = await _people(database)
    async with database.engine.connect() as other:
        # Another process is creating the same newcomer and has not committed yet.
        made = await other.execute(
            text("INSERT INTO people (created_at) VALUES (now()) RETURNING id")
        )
        theirs = int(made.scalar_one())
        await other.execute(
            text(
                "INSERT INTO identities (person_id, kind, key, created_at) "
                "VALUES (:p, :kind, :key, now())"
            ),
            {"p": theirs, "kind": identity.kind, "key": identity.key},
        )
        recording = asyncio.ensure_future(
            record_compares(database, [_log("URACE", "raced"), _log("UCALM", "calm")])
        )
        await asyncio.sleep(0.5)
        # PostgreSQL holds our insert of that identity until theirs commits or rolls back.
        assert not recording.done()
        await other.commit()
    await recording
    rows = {user: person for person, user, _, _ in await _stored(database)}
    assert rows["URACE"] == theirs
    assert rows["UCALM"] is not None and rows["UCALM"] != theirs
    # Theirs and the calm newcomer's: the person made for URACE on our side is gone.
    assert await _people(database) == people_before + 2
