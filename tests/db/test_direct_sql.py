"""Statements on the driver (SQLite) or through SQLAlchemy (PostgreSQL) read and write the
same rows as the ORM does: datetimes compare equal, lists work in IN, both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from db.direct_sql import Statement, _sqlite_datetime
from db.engine import Database
from db.models import Identity, Person, RateEvent, Vote, utcnow
from db.queries.people import IdentityKey, resolve_many_sync
from db.queries.votes import Voter, VoteRequest, cast_votes

_EVENTS = Statement(
    "SELECT person_id FROM rate_events WHERE person_id IN :ids AND at > :after ORDER BY 1",
    lists=["ids"],
)
_ADD = Statement("INSERT INTO rate_events (person_id, scope, at) VALUES (:person_id, 'x', :at)")


async def test_a_direct_vote_is_read_back_by_the_orm_with_its_time(
    demo_database: Database,
) -> None:
    before = utcnow()
    [cast] = await cast_votes(demo_database, [VoteRequest(Voter("discord", "g", "u1"), 1, "ship")])
    assert cast.outcome == "counted"
    after = utcnow()
    async with demo_database.read() as session:
        vote = await session.scalar(select(Vote).where(Vote.user_id == "u1"))
        assert vote is not None
        # The ORM's own comparisons place it between the moments around the vote.
        between = await session.scalar(
            select(Vote.id).where(Vote.created_at >= before, Vote.created_at <= after)
        )
    assert between == vote.id
    assert abs(vote.created_at.replace(tzinfo=before.tzinfo) - before) < timedelta(seconds=5)


def _round_trip(connection: Connection, person_ids: list[int]) -> tuple[list[int], list[int]]:
    now = utcnow()
    _ADD.many(connection, [{"person_id": p, "at": now} for p in person_ids])
    found = [
        int(r[0])
        for r in _EVENTS.rows(connection, {"ids": person_ids, "after": now - timedelta(seconds=1)})
    ]
    none = [int(r[0]) for r in _EVENTS.rows(connection, {"ids": [], "after": now})]
    return found, none


async def test_lists_datetimes_and_executemany_on_both_databases(
    demo_database: Database,
) -> None:
    [cast] = await cast_votes(demo_database, [VoteRequest(Voter("discord", "g", "u2"), 1, "ship")])
    async with demo_database.read() as session:
        person = await session.scalar(select(Vote.person_id).where(Vote.user_id == "u2"))
    assert person is not None and cast.outcome == "counted"
    found, none = await demo_database.run_write(_round_trip, [person])
    assert found == [person] and none == []
    async with demo_database.read() as session:
        # Written directly, filtered by the ORM: the stored time is in the ORM's format.
        stored = await session.scalar(
            select(RateEvent.id).where(
                RateEvent.scope == "x",
                RateEvent.at > utcnow() - timedelta(minutes=1),
                RateEvent.at <= utcnow(),
            )
        )
    assert stored is not None


async def test_a_driver_error_reaches_callers_as_sqlalchemys(demo_database: Database) -> None:
    """Callers catch SQLAlchemy's IntegrityError (a tool gone from the catalog, say)
    whichever way the statement ran."""
    with pytest.raises(IntegrityError):
        await demo_database.run_write(_round_trip, [987_654_321])  # no such person


def _resolve_twice(
    connection: Connection, identities: list[IdentityKey]
) -> tuple[dict[IdentityKey, int], dict[IdentityKey, int]]:
    return resolve_many_sync(connection, identities), resolve_many_sync(connection, identities)


async def test_new_people_are_created_one_per_identity_on_both_databases(
    demo_database: Database,
) -> None:
    """Statement.each: one person per unseen identity, its identity stamped with a time the
    ORM reads; a second look finds the same people and creates none."""
    identities = [IdentityKey("discord", f"each-{i}") for i in range(5)]
    first, again = await demo_database.run_write(_resolve_twice, [*identities, identities[0]])
    assert first == again
    assert sorted(first) == sorted(identities)
    assert len(set(first.values())) == 5
    async with demo_database.read() as session:
        rows = (
            await session.execute(
                select(Identity.key, Identity.person_id, Identity.created_at).where(
                    Identity.key.like("each-%")
                )
            )
        ).all()
        people = await session.scalar(
            select(func.count()).select_from(Person).where(Person.id.in_(first.values()))
        )
    assert {(r.key, r.person_id) for r in rows} == {(i.key, p) for i, p in first.items()}
    assert all(r.created_at is not None for r in rows) and people == 5


def _add_each(connection: Connection, person_ids: list[int]) -> list[object]:
    return list(
        _ADD_RETURNING.each(connection, [{"person_id": p, "at": utcnow()} for p in person_ids])
    )


_ADD_RETURNING = Statement(
    "INSERT INTO rate_events (person_id, scope, at) VALUES (:person_id, 'x', :at) RETURNING person_id"
)


async def test_each_returns_rows_in_order_and_reports_driver_errors(
    demo_database: Database,
) -> None:
    persons = await demo_database.run_write(
        _resolve_twice, [IdentityKey("discord", "each-a"), IdentityKey("discord", "each-b")]
    )
    ids = list(persons[0].values())
    assert [tuple(r) for r in await demo_database.run_write(_add_each, ids)] == [(i,) for i in ids]
    with pytest.raises(IntegrityError):
        await demo_database.run_write(_add_each, [ids[0], 987_654_321])


def test_postgresql_sql_numbers_parameters_and_sends_lists_as_arrays() -> None:
    """One prepared statement per SQL text: a repeated name is one parameter, a list is one
    array whatever its length, and a ``::`` cast is not taken for a parameter."""
    statement = Statement(
        "SELECT :a::text, x FROM t WHERE x IN :ids AND y = :a AND z IN (1, 2)", lists=["ids"]
    )
    sql, values = statement._for("postgresql", {"ids": [3, 4, 5], "a": "q"})
    assert sql == "SELECT $1::text, x FROM t WHERE x = ANY($2) AND y = $1 AND z IN (1, 2)"
    assert values == ("q", [3, 4, 5])


@settings(max_examples=300)
@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_datetimes_are_written_in_sqlalchemys_sqlite_format(moment: datetime) -> None:
    """Rows written on the driver and through SQLAlchemy compare as equals (year 1 too,
    which strftime wrote unpadded)."""
    sqlalchemys = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert sqlalchemys is not None
    assert _sqlite_datetime(moment) == sqlalchemys(moment)
