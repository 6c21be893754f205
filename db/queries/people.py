"""People and their identities: who a vote, bookmark or request belongs to.

An identity is one account (a Discord user, a Slack user, a confirmed email address);
a person owns one or more identities. Everything counted in a crowd (votes, askers)
is counted per person, so one human with five Discord servers still counts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Identity, Person, utcnow


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
    """Persons for many identities in one look-up; the unseen ones are created.

    Race-safe on both databases: the identity insert does nothing on conflict, so when
    another process created the same identity first we read theirs and drop our person.
    (SQLite writers are serialized by BEGIN IMMEDIATE; PostgreSQL's ON CONFLICT waits
    for the other transaction and then sees its row.)
    """
    wanted = list(dict.fromkeys(identities))
    if not wanted:
        return {}
    found = await _lookup(session, wanted)
    for identity in wanted:
        if identity in found:
            continue
        person_id = int(
            (
                await session.execute(
                    insert(Person).values(created_at=utcnow()).returning(Person.id)
                )
            ).scalar_one()
        )
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        created = await session.scalar(
            insert_(Identity)
            .values(person_id=person_id, kind=identity.kind, key=identity.key)
            .on_conflict_do_nothing(index_elements=["kind", "key"])
            .returning(Identity.person_id)
        )
        if created is None:
            await session.execute(delete(Person).where(Person.id == person_id))
            found.update(await _lookup(session, [identity]))
        else:
            found[identity] = int(created)
    return found


async def _lookup(session: AsyncSession, wanted: list[IdentityKey]) -> dict[IdentityKey, int]:
    rows = await session.execute(
        select(Identity.kind, Identity.key, Identity.person_id).where(
            tuple_(Identity.kind, Identity.key).in_([tuple(i) for i in wanted])
        )
    )
    return {IdentityKey(r.kind, r.key): int(r.person_id) for r in rows}


async def identities_of(session: AsyncSession, person_id: int) -> list[IdentityKey]:
    rows = await session.execute(
        select(Identity.kind, Identity.key)
        .where(Identity.person_id == person_id)
        .order_by(Identity.id)
    )
    return [IdentityKey(r.kind, r.key) for r in rows]
