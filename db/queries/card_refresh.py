"""Card redraw bookkeeping: a version per card, bumped by votes, and a leased claim to redraw.

Every function runs inside the caller's write transaction; each is a single statement
(or an upsert plus one update) so two processes on one database never both own a card.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.live_models import CardRefresh
from db.models import utcnow


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def bump_and_claim(
    session: AsyncSession, card_key: str, owner: str, lease_s: float
) -> int | None:
    """Mark the card changed; return its version if ``owner`` now holds the claim, else None."""
    insert = postgresql.insert if _is_postgresql(session) else sqlite.insert
    statement = insert(CardRefresh).values(
        card_key=card_key, version=1, drawn=0, updates=0, owner=None, lease_until=None
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CardRefresh.card_key],
            set_={"version": CardRefresh.version + 1},
        )
    )
    return await claim(session, card_key, owner, lease_s)


async def claim(session: AsyncSession, card_key: str, owner: str, lease_s: float) -> int | None:
    """Take the claim when nobody holds it (or the holder's lease ran out); the version or None."""
    now = utcnow()
    claimed = await session.execute(
        update(CardRefresh)
        .execution_options(synchronize_session=False)
        .where(
            CardRefresh.card_key == card_key,
            CardRefresh.version > CardRefresh.drawn,
            (CardRefresh.owner.is_(None)) | (CardRefresh.lease_until < now),
        )
        .values(owner=owner, lease_until=now + timedelta(seconds=lease_s))
        .returning(CardRefresh.version)
    )
    return claimed.scalar_one_or_none()


async def drawn_release_if_current(
    session: AsyncSession, card_key: str, owner: str, drawn: int, lease_s: float
) -> int | None:
    """Record that ``drawn`` is on screen. Releases the claim when that is still the newest
    version (returns None); otherwise keeps it with a fresh lease and returns the newer version.

    Check and release are one statement: a vote that lands just after it finds the
    claim free and redraws itself, so no change is ever left undrawn.
    """
    current = CardRefresh.version == drawn
    lease: datetime = utcnow() + timedelta(seconds=lease_s)
    result = await session.execute(
        update(CardRefresh)
        .execution_options(synchronize_session=False)
        .where(CardRefresh.card_key == card_key, CardRefresh.owner == owner)
        .values(
            drawn=drawn,
            updates=CardRefresh.updates + 1,
            owner=case((current, None), else_=CardRefresh.owner),
            lease_until=case((current, None), else_=lease),
        )
        .returning(CardRefresh.version)
    )
    version = result.scalar_one_or_none()
    if version is None or version == drawn:
        return None
    return int(version)


async def release(session: AsyncSession, card_key: str, owner: str) -> None:
    """Give the claim up without drawing (the draw failed); the next vote tries again."""
    await session.execute(
        update(CardRefresh)
        .execution_options(synchronize_session=False)
        .where(CardRefresh.card_key == card_key, CardRefresh.owner == owner)
        .values(owner=None, lease_until=None)
    )


async def card_state(session: AsyncSession, card_key: str) -> CardRefresh | None:
    return await session.scalar(select(CardRefresh).where(CardRefresh.card_key == card_key))
