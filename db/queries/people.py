"""People and their identities: who a vote, bookmark or request belongs to.

An identity is one account (a Discord user, a Slack user, a confirmed email address);
a person owns one or more identities. Everything counted in a crowd (votes, askers)
is counted per person, so one human with five Discord servers still counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_sql import Statement
from db.engine import in_session
from db.models import Identity, PeopleGeneration, Person, utcnow


class IdentityKey(NamedTuple):
    kind: str
    key: str


def identity_for(platform: str, workspace: str, user_id: str) -> IdentityKey:
    """The identity a chat account stands for.

    A Discord user id is global, so the guild (or DM) is left out; a Slack user id is
    only unique within its team or enterprise, so that id is kept in front.
    """
    if platform == "discord":
        return IdentityKey("discord", user_id)
    return IdentityKey(platform, f"{workspace}:{user_id}")


def email_identity(address: str) -> IdentityKey:
    return IdentityKey("email", address.strip().casefold())


async def person_of(session: AsyncSession, identity: IdentityKey) -> int | None:
    """The person behind ``identity``, or None when it was never seen (read-only)."""
    return await session.scalar(
        select(Identity.person_id).where(
            Identity.kind == identity.kind, Identity.key == identity.key
        )
    )


async def resolve(session: AsyncSession, identity: IdentityKey) -> int:
    """The person behind ``identity``, created on first sight."""
    return (await resolve_many(session, [identity]))[identity]


async def resolve_many(
    session: AsyncSession, identities: Iterable[IdentityKey]
) -> dict[IdentityKey, int]:
    """``resolve_many_sync`` in an async session."""
    return await in_session(session, resolve_many_sync, list(identities))


def resolve_many_sync(
    connection: Connection, identities: Iterable[IdentityKey]
) -> dict[IdentityKey, int]:
    """Persons for many identities in one look-up; the unseen ones are created together.

    Race-safe on both databases: the identity insert does nothing on conflict, so when
    another process created the same identity first we read theirs and drop our person.
    (SQLite writers are serialized by BEGIN IMMEDIATE; PostgreSQL's ON CONFLICT waits
    for the other transaction and then sees its row.)
    """
    wanted = list(dict.fromkeys(identities))
    if not wanted:
        return {}
    found = _lookup(connection, wanted)
    unseen = [identity for identity in wanted if identity not in found]
    if not unseen:
        return found
    create = _create_pg if connection.dialect.name == "postgresql" else _create_each
    claimed, person_ids = create(connection, unseen, utcnow())
    for kind, key, person_id in claimed:
        found[IdentityKey(kind, key)] = int(person_id)
    lost = [identity for identity in unseen if identity not in found]
    if lost:
        # Another process created these first: use theirs, drop the people made for them.
        used = set(found.values())
        connection.execute(delete(Person).where(Person.id.in_(set(person_ids) - used)))
        found.update(_lookup(connection, lost))
    return found


Created = tuple[list[Sequence[Any]], list[int]]


def _create_each(connection: Connection, unseen: list[IdentityKey], moment: datetime) -> Created:
    """One row per statement on the driver: the (kind, key, person) rows inserted, and
    every new person's id."""
    created = _NEW_PERSON.each(connection, [{"created_at": moment} for _ in unseen])
    # The new people are alike: which identity gets which id does not matter.
    person_ids = sorted(int(row[0]) for row in created)
    rows = [
        {"person_id": person, "kind": identity.kind, "key": identity.key, "created_at": moment}
        for person, identity in zip(person_ids, unseen, strict=True)
    ]
    return _NEW_IDENTITY.each(connection, rows), person_ids


def _create_pg(connection: Connection, unseen: list[IdentityKey], moment: datetime) -> Created:
    """``_create_each`` as two statements over arrays (two round trips, not two per row)."""
    created = _NEW_PEOPLE_PG.rows(connection, {"n": len(unseen), "at": moment})
    person_ids = sorted(int(row[0]) for row in created)
    claimed = _NEW_IDENTITIES_PG.rows(
        connection,
        {
            "ids": person_ids,
            "kinds": [i.kind for i in unseen],
            "keys": [i.key for i in unseen],
            "at": moment,
        },
    )
    return claimed, person_ids


# One person per unseen identity, then their identities; an identity another process
# created first is left alone (ON CONFLICT DO NOTHING) and read back by the caller.
# SQLite: one row per statement on the driver (it has no round trip to save, and returns
# a multi-row RETURNING in no set order). PostgreSQL: each one statement over arrays.
_NEW_PERSON = Statement("INSERT INTO people (created_at) VALUES (:created_at) RETURNING id")
_NEW_IDENTITY = Statement(
    """
    INSERT INTO identities (person_id, kind, key, created_at)
    VALUES (:person_id, :kind, :key, :created_at)
    ON CONFLICT (kind, key) DO NOTHING
    RETURNING kind, key, person_id
    """
)
_NEW_PEOPLE_PG = Statement(
    """
    INSERT INTO people (created_at)
    SELECT CAST(:at AS timestamptz) FROM generate_series(1, CAST(:n AS integer))
    RETURNING id
    """
)
_NEW_IDENTITIES_PG = Statement(
    """
    INSERT INTO identities (person_id, kind, key, created_at)
    SELECT p, k, y, CAST(:at AS timestamptz)
    FROM unnest(CAST(:ids AS integer[]), CAST(:kinds AS text[]), CAST(:keys AS text[]))
        AS u(p, k, y)
    ON CONFLICT (kind, key) DO NOTHING
    RETURNING kind, key, person_id
    """
)


def _lookup(connection: Connection, wanted: list[IdentityKey]) -> dict[IdentityKey, int]:
    kinds = sorted({i.kind for i in wanted})
    keys = sorted({i.key for i in wanted})
    rows = _LOOKUP.rows(connection, {"kinds": kinds, "keys": keys})
    asked = set(wanted)
    # The two IN lists match every kind with every key: keep the pairs asked for.
    found = {IdentityKey(r[0], r[1]): int(r[2]) for r in rows}
    return {identity: person for identity, person in found.items() if identity in asked}


# Two IN lists, not a row-value IN: SQLite answers (kind, key) IN (VALUES ...) by scanning
# every identity, but searches the (kind, key) index for kind IN (...) AND key IN (...).
_LOOKUP = Statement(
    "SELECT kind, key, person_id FROM identities WHERE kind IN :kinds AND key IN :keys",
    lists=["kinds", "keys"],
)


async def identities_of(session: AsyncSession, person_id: int) -> list[IdentityKey]:
    rows = await session.execute(
        select(Identity.kind, Identity.key)
        .where(Identity.person_id == person_id)
        .order_by(Identity.id)
    )
    return [IdentityKey(r.kind, r.key) for r in rows]


# Advisory-lock namespace for "this person's votes and limits" (PostgreSQL); the second
# key is the person id. Held to the end of the transaction, never written to disk.
_PERSON_LOCKS = 5005
_LOCK_PEOPLE = Statement(
    "SELECT count(pg_advisory_xact_lock(:ns, k)) FROM unnest(CAST(:ids AS integer[])) AS k"
)
_GENERATION = Statement("SELECT value FROM people_generation WHERE id = 1")


async def lock_people(session: AsyncSession, person_ids: Iterable[int]) -> None:
    """``lock_people_sync`` in an async session."""
    await in_session(session, lock_people_sync, list(person_ids))


def lock_people_sync(connection: Connection, person_ids: Iterable[int]) -> None:
    """Hold each person until commit, in id order so two batches never deadlock.

    PostgreSQL only: votes, limits and linking of one person take turns across
    processes. SQLite needs nothing, its writers are serialized by BEGIN IMMEDIATE.
    """
    if connection.dialect.name != "postgresql":
        return
    _LOCK_PEOPLE.rows(connection, {"ns": _PERSON_LOCKS, "ids": sorted(set(person_ids))})


def generation(connection: Connection) -> int:
    row = _GENERATION.first(connection)
    return int(row[0] or 0) if row is not None else 0


async def bump_generation(session: AsyncSession) -> None:
    """An account moved to another person (or went away): every identity cache is stale."""
    await session.execute(
        update(PeopleGeneration)
        .where(PeopleGeneration.id == 1)
        .values(value=PeopleGeneration.value + 1)
    )


def resolve_locked(
    connection: Connection, identities: Sequence[IdentityKey]
) -> tuple[dict[IdentityKey, int], int]:
    """Persons for ``identities``, locked, and the generation they are valid for.

    Reads the generation, resolves, locks, and reads it again: unchanged means no link
    moved an account in between, and the locks keep it so until commit.
    """
    while True:
        before = generation(connection)
        persons = resolve_many_sync(connection, identities)
        lock_people_sync(connection, persons.values())
        if connection.dialect.name != "postgresql" or generation(connection) == before:
            return persons, before


class IdentityCache:
    """identity -> person, trusted only while the people generation is unchanged.

    Filled only from committed transactions (see db.queries.votes.cast_votes); a batch
    checks the generation once, in the statement that counts its rate limit.
    """

    def __init__(self, size: int = 100_000) -> None:
        self.generation: int | None = None
        self._persons: dict[IdentityKey, int] = {}
        self._size = size

    def get_many(self, identities: Iterable[IdentityKey]) -> dict[IdentityKey, int] | None:
        """All of them, or None when any is unknown (the batch resolves them afresh)."""
        if self.generation is None:
            return None
        try:
            return {i: self._persons[i] for i in identities}
        except KeyError:
            return None

    def remember(self, persons: dict[IdentityKey, int], generation: int) -> None:
        if generation != self.generation or len(self._persons) > self._size:
            self._persons.clear()
            self.generation = generation
        self._persons.update(persons)
