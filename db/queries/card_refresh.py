"""Card redraw bookkeeping: a version per card, bumped by votes, and a leased claim to redraw.

Each function is a single statement (on SQLite, marking is an upsert plus one update), so
two processes on one database never both own a card. Marking runs inside the vote's write
transaction; recording a draw and releasing a claim stand alone
(db.engine.Database.run_autocommit). Plain functions of a Core connection, except the
two async ones for code holding a session.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_sql import Statement
from db.engine import in_session
from db.live_models import CardRefresh
from db.models import utcnow

# Long enough for a draw that waits out a 429 or two; a crashed owner blocks this long.
LEASE_S = 60.0


# Every parameter's type is its column's, so the one SQL text serves both drivers.
_BUMP = Statement(
    """
    INSERT INTO card_refresh (card_key, version, drawn, updates, owner, lease_until)
    VALUES (:card_key, :version, :drawn, :updates, :owner, :lease_until)
    ON CONFLICT (card_key) DO UPDATE SET version = card_refresh.version + excluded.version
    """
)


async def bump_and_claim(
    session: AsyncSession, card_key: str, owner: str, lease_s: float
) -> int | None:
    """Mark the card changed; return its version if ``owner`` now holds the claim, else None."""
    claimed = await in_session(session, bump_and_claim_many, {card_key: 1}, owner, lease_s)
    return claimed.get(card_key)


def bump_and_claim_many(
    connection: Connection, changes: Mapping[str, int], owner: str, lease_s: float
) -> dict[str, int]:
    """Add each card's number of changes to its version (one multi-row upsert), then take
    the free claims for ``owner`` (one update; on PostgreSQL both are one statement);
    returns the claimed cards' versions."""
    if not changes:
        return {}
    if connection.dialect.name == "postgresql":
        return _bump_and_claim_pg(connection, changes, owner, lease_s)
    rows = [
        {
            "card_key": key,
            "version": n,
            "drawn": 0,
            "updates": 0,
            "owner": None,
            "lease_until": None,
        }
        for key, n in sorted(changes.items())  # in key order: two writers never deadlock
    ]
    _BUMP.many(connection, rows)
    return _claim_many(connection, list(changes), owner, lease_s)


# PostgreSQL: the marks and the claims in one statement (one round trip, not two). A
# card's version only grows, so after the bump it is always ahead of what was drawn: the
# claim is free exactly when nobody holds it or the holder's lease ran out.
_BUMP_AND_CLAIM_PG = Statement(
    """
    INSERT INTO card_refresh AS c (card_key, version, drawn, updates, owner, lease_until)
    SELECT k, n, 0, 0, CAST(:owner AS text), CAST(:lease_until AS timestamptz)
    FROM unnest(CAST(:keys AS text[]), CAST(:counts AS integer[])) AS marks(k, n)
    ORDER BY k
    ON CONFLICT (card_key) DO UPDATE SET
        version = c.version + excluded.version,
        owner = CASE WHEN c.owner IS NULL OR c.lease_until < CAST(:now AS timestamptz)
            THEN excluded.owner ELSE c.owner END,
        lease_until = CASE WHEN c.owner IS NULL OR c.lease_until < CAST(:now AS timestamptz)
            THEN excluded.lease_until ELSE c.lease_until END
    RETURNING card_key, version, owner = CAST(:owner AS text)
    """
)


def _bump_and_claim_pg(
    connection: Connection, changes: Mapping[str, int], owner: str, lease_s: float
) -> dict[str, int]:
    now = utcnow()
    keys = sorted(changes)
    rows = _BUMP_AND_CLAIM_PG.rows(
        connection,
        {
            "keys": keys,
            "counts": [changes[key] for key in keys],
            "owner": owner,
            "lease_until": now + timedelta(seconds=lease_s),
            "now": now,
        },
    )
    return {row[0]: int(row[1]) for row in rows if row[2]}


@dataclass(frozen=True, slots=True)
class CardClaim:
    """The right to redraw ``card_key`` (until the lease runs out), taken at ``version``."""

    card_key: str
    owner: str
    version: int


def mark_and_claim(
    connection: Connection, card_keys: Sequence[str | None], lease_s: float
) -> list[CardClaim | None]:
    """One mark per entry (None: no card), then the free claims, for one new owner.

    Of several marks on one card, the first gets the claim: its draw shows them all.
    """
    owner = uuid.uuid4().hex
    counts = Counter(key for key in card_keys if key is not None)
    claimed = bump_and_claim_many(connection, counts, owner, lease_s)
    claims: list[CardClaim | None] = []
    for key in card_keys:
        version = None if key is None else claimed.pop(key, None)
        claims.append(None if key is None or version is None else CardClaim(key, owner, version))
    return claims


def _claim_many(
    connection: Connection, card_keys: Sequence[str], owner: str, lease_s: float
) -> dict[str, int]:
    """Take the claims nobody holds (or whose holder's lease ran out); their versions."""
    now = utcnow()
    claimed = _CLAIM.rows(
        connection,
        {
            "keys": list(card_keys),
            "now": now,
            "owner": owner,
            "lease_until": now + timedelta(seconds=lease_s),
        },
    )
    return {row[0]: int(row[1]) for row in claimed}


# Built once; the cards, owner and times are parameters.
_CLAIM = Statement(
    """
    UPDATE card_refresh SET owner = :owner, lease_until = :lease_until
    WHERE card_key IN :keys AND version > drawn AND (owner IS NULL OR lease_until < :now)
    RETURNING card_key, version
    """,
    lists=["keys"],
)
_CURRENT = CardRefresh.version == bindparam("drawn")
_DRAWN = Statement(
    """
    UPDATE card_refresh SET drawn = :drawn, updates = updates + 1,
        owner = CASE WHEN version = :drawn THEN NULL ELSE owner END,
        lease_until = CASE WHEN version = :drawn THEN NULL ELSE :lease_until END
    WHERE card_key = :key AND owner = :owner
    RETURNING version
    """,
    elsewhere=update(CardRefresh)
    .where(CardRefresh.card_key == bindparam("key"), CardRefresh.owner == bindparam("owner"))
    .values(
        drawn=bindparam("drawn"),
        updates=CardRefresh.updates + 1,
        owner=case((_CURRENT, None), else_=CardRefresh.owner),
        lease_until=case(
            (_CURRENT, None),
            # Typed: inside CASE the driver cannot tell a timestamp from text.
            else_=bindparam("lease_until", type_=CardRefresh.__table__.c.lease_until.type),
        ),
    )
    .returning(CardRefresh.version),
)


def drawn_release_if_current(
    connection: Connection, card_key: str, owner: str, drawn: int, lease_s: float
) -> int | None:
    """Record that ``drawn`` is on screen. Releases the claim when that is still the newest
    version (returns None); otherwise keeps it with a fresh lease and returns the newer version.

    Check and release are one statement: a vote that lands just after it finds the
    claim free and redraws itself, so no change is ever left undrawn.
    """
    lease: datetime = utcnow() + timedelta(seconds=lease_s)
    row = _DRAWN.first(
        connection, {"key": card_key, "owner": owner, "drawn": drawn, "lease_until": lease}
    )
    if row is None or row[0] == drawn:
        return None
    return int(row[0])


def release(connection: Connection, card_key: str, owner: str) -> None:
    """Give the claim up without drawing (the draw failed); the next vote tries again."""
    connection.execute(
        update(CardRefresh)
        .where(CardRefresh.card_key == card_key, CardRefresh.owner == owner)
        .values(owner=None, lease_until=None)
    )


async def card_state(session: AsyncSession, card_key: str) -> CardRefresh | None:
    return await session.scalar(select(CardRefresh).where(CardRefresh.card_key == card_key))
