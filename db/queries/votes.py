"""Community votes: one row per person per tool, upserted; tallies are always counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import Vote, utcnow
from db.queries import tally_clock
from db.queries.upsert import dialect_of, insert_on_conflict

VoteChange = Literal["counted", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class Voter:
    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Tally:
    ship: int = 0
    skip: int = 0


# One statement for every case, on both SQLite (3.35+) and PostgreSQL: the WHERE keeps a
# repeated vote from touching the row, and RETURNING tells the three outcomes apart:
# no row (unchanged), created == updated (a new vote), otherwise a changed vote.
_UPSERT = text(
    """
    INSERT INTO votes (platform, workspace, user_id, tool_id, verdict, created_at, updated_at)
    VALUES (:platform, :workspace, :user_id, :tool_id, :verdict, :now, :now)
    ON CONFLICT (platform, workspace, user_id, tool_id) DO UPDATE
        SET verdict = excluded.verdict, updated_at = excluded.updated_at
        WHERE votes.verdict <> excluded.verdict
    RETURNING created_at = updated_at AS is_new
    """
)


async def cast_vote(
    session: AsyncSession, voter: Voter, tool_id: int, verdict: str, *, now: datetime | None = None
) -> VoteChange:
    """Record ``verdict``; an existing vote is updated in place, never counted twice.

    A single upsert, so concurrent votes from the same person are safe on both databases:
    whatever the interleaving, one row remains and it holds the last verdict written.
    """
    result = await session.execute(
        _UPSERT,
        {
            "platform": voter.platform,
            "workspace": voter.workspace,
            "user_id": voter.user_id,
            "tool_id": tool_id,
            "verdict": verdict,
            "now": now or utcnow(),
        },
    )
    row = result.first()
    if row is None:
        return "unchanged"
    return "counted" if row.is_new else "changed"


@dataclass(frozen=True, slots=True)
class VoteRequest:
    voter: Voter
    tool_id: int
    verdict: str


async def cast_votes(
    database: Database, requests: list[VoteRequest]
) -> list[tuple[VoteChange | None, Tally]]:
    """Apply many votes in one transaction; returns (outcome, new tally) per request.

    At most one request per (voter, tool) may be in ``requests``. The outcome is None
    for a tool that has left the catalog; the other votes of the batch still count.
    """
    try:
        async with database.write() as session:
            outcomes = await _upsert_many(session, requests)
            changed = [
                r.tool_id for r, o in zip(requests, outcomes, strict=True) if o != "unchanged"
            ]
            if changed:
                # In the same transaction: other processes see the clock move with the votes.
                await tally_clock.bump(session, changed)
    except IntegrityError:
        if len(requests) == 1:
            return [(None, Tally())]
        # A foreign key refused one of them: apply one by one so the others still count.
        results: list[tuple[VoteChange | None, Tally]] = []
        for request in requests:
            results.extend(await cast_votes(database, [request]))
        return results
    async with database.read() as session:
        counts = await tallies(session, {r.tool_id for r in requests})
    return [(outcome, counts[r.tool_id]) for outcome, r in zip(outcomes, requests, strict=True)]


async def _upsert_many(session: AsyncSession, requests: list[VoteRequest]) -> list[VoteChange]:
    if len(requests) == 1:
        # The usual case at a human pace: the prebuilt statement skips construction.
        only = requests[0]
        return [await cast_vote(session, only.voter, only.tool_id, only.verdict)]
    moment = utcnow()
    upsert = insert_on_conflict(
        dialect_of(session),
        Vote,
        [
            {
                "platform": r.voter.platform,
                "workspace": r.voter.workspace,
                "user_id": r.voter.user_id,
                "tool_id": r.tool_id,
                "verdict": r.verdict,
                "created_at": moment,
                "updated_at": moment,
            }
            for r in requests
        ],
        conflict=["platform", "workspace", "user_id", "tool_id"],
        update=["verdict", "updated_at"],
        # A repeated vote leaves the row alone, so RETURNING skips it: "unchanged".
        only_if_changed=["verdict"],
    ).returning(
        Vote.platform,
        Vote.workspace,
        Vote.user_id,
        Vote.tool_id,
        (Vote.created_at == Vote.updated_at).label("is_new"),
    )
    touched = {
        (row.platform, row.workspace, row.user_id, row.tool_id): bool(row.is_new)
        for row in await session.execute(upsert)
    }
    outcomes: list[VoteChange] = []
    for r in requests:
        is_new = touched.get((r.voter.platform, r.voter.workspace, r.voter.user_id, r.tool_id))
        outcomes.append("unchanged" if is_new is None else "counted" if is_new else "changed")
    return outcomes


# Prebuilt so the hot path neither constructs nor recompiles the statement.
_TALLIES = text(
    """
    SELECT tool_id,
           sum(CASE WHEN verdict = 'ship' THEN 1 ELSE 0 END) AS ship,
           sum(CASE WHEN verdict = 'skip' THEN 1 ELSE 0 END) AS skip
    FROM votes WHERE tool_id IN :ids GROUP BY tool_id
    """
).bindparams(bindparam("ids", expanding=True))


async def tallies(session: AsyncSession, tool_ids: Iterable[int]) -> dict[int, Tally]:
    """Ship/skip counts per tool; tools without votes get an empty tally."""
    ids = list(tool_ids)
    if not ids:
        return {}
    rows = await session.execute(_TALLIES, {"ids": ids})
    found = {r[0]: Tally(int(r[1] or 0), int(r[2] or 0)) for r in rows}
    return {tool_id: found.get(tool_id, Tally()) for tool_id in ids}


async def votes_of(session: AsyncSession, voter: Voter, tool_ids: Iterable[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Vote.tool_id, Vote.verdict).where(
            Vote.platform == voter.platform,
            Vote.workspace == voter.workspace,
            Vote.user_id == voter.user_id,
            Vote.tool_id.in_(list(tool_ids)),
        )
    )
    return {r.tool_id: r.verdict for r in rows}
