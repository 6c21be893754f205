"""Linking accounts into one person (/link) and splitting one off again (/unlink).

Codes are kept as SHA-256 hashes. Redeeming marks the code used with a conditional
UPDATE, so two redemptions of one code can't both succeed, even from two processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import in_session
from db.models import (
    Bookmark,
    CompareRequest,
    EmailClaim,
    Identity,
    LinkCode,
    Person,
    RateEvent,
    Vote,
    utcnow,
)
from db.queries import tally_clock
from db.queries.people import (
    IdentityKey,
    bump_generation,
    email_identity,
    lock_people,
    resolve,
)
from db.queries.upsert import dialect_of, insert_on_conflict

CODE_TTL = timedelta(minutes=10)

LinkFailure = Literal["unknown", "expired", "used", "own", "already_linked"]


@dataclass(frozen=True, slots=True)
class Linked:
    """The redeeming account now belongs to ``person_id``, with ``accounts`` identities."""

    person_id: int
    accounts: int


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def store_code(
    session: AsyncSession, identity: IdentityKey, code: str, *, now: datetime | None = None
) -> datetime:
    """Keep ``code`` for the person behind ``identity``; returns when it expires."""
    moment = now or utcnow()
    person_id = await resolve(session, identity)
    identity_id = await session.scalar(
        select(Identity.id).where(Identity.kind == identity.kind, Identity.key == identity.key)
    )
    expires = moment + CODE_TTL
    # Codes past their time are of no use to anyone: drop them here, not by a timer.
    await session.execute(delete(LinkCode).where(LinkCode.expires_at < moment - CODE_TTL))
    await session.execute(
        insert(LinkCode).values(
            code_hash=code_hash(code),
            person_id=person_id,
            identity_id=identity_id,
            expires_at=expires,
            created_at=moment,
        )
    )
    return expires


async def account_count(session: AsyncSession, person_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Identity).where(Identity.person_id == person_id)
        )
        or 0
    )


async def redeem(
    session: AsyncSession, identity: IdentityKey, code: str, *, now: datetime | None = None
) -> Linked | LinkFailure:
    """Join the person behind ``identity`` to the person who made ``code``.

    Nothing is written unless the link succeeds (the caller's transaction holds it all).
    """
    moment = now or utcnow()
    found = (
        await session.execute(select(LinkCode).where(LinkCode.code_hash == code_hash(code)))
    ).scalar_one_or_none()
    if found is None:
        return "unknown"
    if found.used_at is not None:
        return "used"
    if _aware(found.expires_at) <= moment:
        return "expired"
    mine = await resolve(session, identity)
    if found.person_id == mine:
        return "own"
    if await account_count(session, mine) > 1:
        return "already_linked"
    claimed = await session.execute(
        update(LinkCode)
        .where(LinkCode.code_hash == found.code_hash, LinkCode.used_at.is_(None))
        .values(used_at=moment)
        .returning(LinkCode.code_hash)
    )
    if claimed.first() is None:
        return "used"
    await merge_people(session, keep=found.person_id, gone=mine)
    return Linked(found.person_id, await account_count(session, found.person_id))


async def merge_people(session: AsyncSession, *, keep: int, gone: int) -> None:
    """Move everything of person ``gone`` to ``keep``; the latest vote per tool wins."""
    pair = (keep, gone)
    # Votes lock their person too (db.queries.votes): no vote of either person can land
    # half-way through the move, and vote batches see the new generation afterwards.
    await lock_people(session, pair)
    await bump_generation(session)
    newer = Vote.__table__.alias("newer")
    dropped = await session.execute(
        delete(Vote)
        .where(
            Vote.person_id.in_(pair),
            exists().where(
                newer.c.person_id.in_(pair),
                newer.c.tool_id == Vote.tool_id,
                newer.c.id != Vote.id,
                (newer.c.updated_at > Vote.updated_at)
                | ((newer.c.updated_at == Vote.updated_at) & (newer.c.id > Vote.id)),
            ),
        )
        .returning(Vote.tool_id)
    )
    changed = {int(tool_id) for tool_id in dropped.scalars()}
    if changed:
        # Two votes on a tool became one: its tally dropped. In this transaction, so
        # every process's tally board re-counts those tools once the merge commits.
        await in_session(session, tally_clock.bump, changed)
    kept = select(Bookmark.tool_id).where(Bookmark.person_id == keep).scalar_subquery()
    await session.execute(
        delete(Bookmark).where(Bookmark.person_id == gone, Bookmark.tool_id.in_(kept))
    )
    for model in (Vote, Bookmark, CompareRequest, Identity, RateEvent, EmailClaim):
        await session.execute(
            update(model).where(model.person_id == gone).values(person_id=keep)  # type: ignore[attr-defined]
        )
    await session.execute(delete(LinkCode).where(LinkCode.person_id == gone))
    await session.execute(delete(Person).where(Person.id == gone))


UnlinkFailure = Literal["not_linked"]


async def unlink(
    session: AsyncSession, identity: IdentityKey, *, now: datetime | None = None
) -> int | UnlinkFailure:
    """Give ``identity`` a new person of its own; returns that person's id.

    The votes, bookmarks and requests stay with the person the account leaves: the
    split-off account starts empty, so linking and unlinking can't multiply a vote.
    """
    person_id = await resolve(session, identity)
    await lock_people(session, [person_id])
    if await account_count(session, person_id) < 2:
        return "not_linked"
    await bump_generation(session)
    fresh = (
        await session.execute(
            insert(Person).values(created_at=now or utcnow()).returning(Person.id)
        )
    ).scalar_one()
    await session.execute(
        update(Identity)
        .where(Identity.kind == identity.kind, Identity.key == identity.key)
        .values(person_id=fresh)
    )
    await session.execute(delete(LinkCode).where(LinkCode.person_id == person_id))
    return int(fresh)


async def claim_email(session: AsyncSession, chat: IdentityKey, address: str) -> None:
    """Remember that the person behind ``chat`` asked for ``address`` (/subscribe in chat)."""
    person_id = await resolve(session, chat)
    # One upsert: a flood of /subscribe for one address races on PostgreSQL, the last wins.
    await session.execute(
        insert_on_conflict(
            dialect_of(session),
            EmailClaim,
            {"address": _address(address), "person_id": person_id, "created_at": utcnow()},
            conflict=["address"],
            update=["person_id", "created_at"],
        )
    )


async def confirm_email(session: AsyncSession, address: str) -> None:
    """A confirmed address becomes an email identity, linked to the chat person who asked.

    An address already linked to other accounts is left where it is: confirming an
    address proves you own it, not that you are whoever typed it into a chat.
    """
    identity = email_identity(address)
    current = await resolve(session, identity)
    keep = await session.scalar(
        select(EmailClaim.person_id).where(EmailClaim.address == _address(address))
    )
    await session.execute(delete(EmailClaim).where(EmailClaim.address == _address(address)))
    if keep is None or keep == current or await account_count(session, current) > 1:
        return
    await merge_people(session, keep=keep, gone=current)


async def forget_email(session: AsyncSession, address: str) -> None:
    """Drop the address as an identity (and any pending claim); the person's votes stay."""
    identity = email_identity(address)
    await bump_generation(session)
    await session.execute(
        delete(Identity).where(Identity.kind == identity.kind, Identity.key == identity.key)
    )
    await session.execute(delete(EmailClaim).where(EmailClaim.address == identity.key))


def _address(address: str) -> str:
    return email_identity(address).key


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; we only ever store UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
