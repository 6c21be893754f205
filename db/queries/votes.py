"""Community votes: one row per person per tool, upserted; tallies are always counted."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_sql import Statement
from db.engine import Database, in_session
from db.models import Identity, Vote, utcnow
from db.queries import rate_limits, tally_clock
from db.queries.card_refresh import LEASE_S, CardClaim, mark_and_claim
from db.queries.people import (
    IdentityCache,
    IdentityKey,
    email_identity,
    identity_for,
    lock_people_sync,
    resolve_locked,
    resolve_many_sync,
)
from db.queries.rate_limits import RateLimit
from db.queries.upsert import insert_on_conflict

VoteChange = Literal["counted", "changed", "unchanged"]
# Not applied: the tool left the catalog (None) or the person is voting too fast.
VoteOutcome = VoteChange | Literal["limited"] | None


@dataclass(frozen=True, slots=True)
class Voter:
    """The account a vote comes from; the person behind it is found through ``identity``."""

    platform: str
    workspace: str
    user_id: str
    enterprise_id: str = ""
    # A vote from a digest link: the confirmed address is the identity (its person may be
    # a chat person, linked by /subscribe); platform/user_id only label the vote row.
    email: str = ""

    @property
    def identity(self) -> IdentityKey:
        if self.email:
            return email_identity(self.email)
        return identity_for(self.platform, self.enterprise_id or self.workspace, self.user_id)


@dataclass(frozen=True, slots=True)
class Tally:
    ship: int = 0
    skip: int = 0
    # The tally clock's version these counts are true at (None: not known). Not part of
    # equality: two tallies with the same counts are the same tally.
    as_of: int | None = field(default=None, compare=False)


# One statement for every case, on both SQLite (3.35+) and PostgreSQL: the WHERE keeps a
# repeated vote from touching the row, and RETURNING tells the three outcomes apart:
# no row (unchanged), created == updated (a new vote), otherwise a changed vote.
# The conflict target is the person, so a vote from another server, a DM or a linked
# account replaces that person's vote instead of adding one.
_UPSERT_SQL = """
    INSERT INTO votes
        (person_id, platform, workspace, user_id, tool_id, verdict, created_at, updated_at)
    VALUES (:person_id, :platform, :workspace, :user_id, :tool_id, :verdict, :now, :now)
    ON CONFLICT (person_id, tool_id) DO UPDATE
        SET verdict = excluded.verdict, updated_at = excluded.updated_at,
            platform = excluded.platform, workspace = excluded.workspace,
            user_id = excluded.user_id
        WHERE votes.verdict <> excluded.verdict
    RETURNING created_at = updated_at AS is_new
"""
_UPSERT = Statement(_UPSERT_SQL)
# PostgreSQL, one vote: its rate event goes in with it, one round trip instead of two.
# (A data-modifying WITH runs whether or not the main statement reads it.)
_EVENT_PG = """
    WITH event AS (
        INSERT INTO rate_events (person_id, scope, at)
        VALUES (:person_id, :scope, CAST(:event_at AS timestamptz))
    )
"""
_UPSERT_WITH_EVENT_PG = Statement(_EVENT_PG + _UPSERT_SQL)


async def cast_vote(
    session: AsyncSession, voter: Voter, tool_id: int, verdict: str, *, now: datetime | None = None
) -> VoteChange:
    """Record ``verdict``; an existing vote of the same person is updated, never counted twice.

    A single upsert, so concurrent votes from the same person are safe on both databases:
    whatever the interleaving, one row remains and it holds the last verdict written.
    """
    return await in_session(session, _cast_one, voter, tool_id, verdict, now or utcnow())


def _cast_one(
    connection: Connection, voter: Voter, tool_id: int, verdict: str, now: datetime
) -> VoteChange:
    person_id = resolve_many_sync(connection, [voter.identity])[voter.identity]
    change = _upsert_one(connection, person_id, voter, tool_id, verdict, now)
    if change != "unchanged":
        tally_clock.bump(connection, [tool_id])
    return change


def _upsert_one(
    connection: Connection,
    person_id: int,
    voter: Voter,
    tool_id: int,
    verdict: str,
    now: datetime,
    *,
    event: tuple[str, datetime] | None = None,
) -> VoteChange:
    """``event``: the vote's rate event (scope, moment), written by the same statement
    (PostgreSQL only)."""
    params: dict[str, object] = {
        "person_id": person_id,
        "platform": voter.platform,
        "workspace": voter.workspace,
        "user_id": voter.user_id,
        "tool_id": tool_id,
        "verdict": verdict,
        "now": now,
    }
    if event is None:
        row = _UPSERT.first(connection, params)
    else:
        params["scope"], params["event_at"] = event
        row = _UPSERT_WITH_EVENT_PG.first(connection, params)
    if row is None:
        return "unchanged"
    return "counted" if row[0] else "changed"


@dataclass(frozen=True, slots=True)
class VoteRequest:
    voter: Voter
    tool_id: int
    verdict: str
    # The live card the vote was cast on (a click), marked changed in the vote's own
    # transaction, which also takes the claim to redraw it when nobody holds it.
    card_key: str | None = None


class Cast(NamedTuple):
    outcome: VoteOutcome
    tally: Tally
    # The claim to redraw the request's card, when this vote took it.
    claim: CardClaim | None = None


async def cast_votes(
    database: Database,
    requests: list[VoteRequest],
    limit: RateLimit | None = None,
    cache: IdentityCache | None = None,
    claim_lease_s: float = LEASE_S,
) -> list[Cast]:
    """Apply many votes in one transaction; returns the outcome, the new tally and the
    card claim (see ``VoteRequest.card_key``) per request.

    At most one request per (voter, tool) may be in ``requests``. The outcome is None
    for a tool that has left the catalog, "limited" for a person over ``limit`` (kept in
    the database, so it holds across processes); the other votes of the batch still count.
    ``cache`` saves the identity look-up while no account has changed person.
    """
    try:
        # The cache is read here, on the event loop, and handed over: the batch runs in
        # the SQLite writer thread (db.engine.Database.run_write).
        identities = [r.voter.identity for r in requests]
        cached = (cache.get_many(identities), cache.generation) if cache is not None else None
        outcomes, persons, generation, counts, claims = await database.run_write(
            _cast_batch, requests, limit, cached, claim_lease_s
        )
    except IntegrityError:
        if len(requests) == 1:
            return [Cast(None, Tally())]
        # A foreign key refused one of them: apply one by one so the others still count.
        results: list[Cast] = []
        for request in requests:
            results.extend(await cast_votes(database, [request], limit, cache, claim_lease_s))
        return results
    if cache is not None:
        # Committed: these people exist as of ``generation``.
        cache.remember(persons, generation)
    return [
        Cast(outcome, counts[r.tool_id], claim)
        for outcome, r, claim in zip(outcomes, requests, claims, strict=True)
    ]


# People found in the identity cache (None: some unknown) and the generation it holds.
Cached = tuple[dict[IdentityKey, int] | None, int | None]


def _cast_batch(
    connection: Connection,
    requests: list[VoteRequest],
    limit: RateLimit | None,
    cached: Cached | None,
    claim_lease_s: float,
) -> tuple[
    list[VoteOutcome], dict[IdentityKey, int], int, dict[int, Tally], list[CardClaim | None]
]:
    """One transaction: the votes, the tally clock, the tallies as they now stand and the
    claims on the cards voted on."""
    outcomes, persons, generation = _apply(connection, requests, limit, cached)
    changed = [
        r.tool_id for r, o in zip(requests, outcomes, strict=True) if o in ("counted", "changed")
    ]
    # In the same transaction: other processes see the clock move with the votes, and the
    # counts are true as of the version this batch moved it to (as is, if nothing changed).
    version = tally_clock.bump(connection, changed) if changed else tally_clock.now(connection)
    # In the same transaction: one BEGIN/COMMIT less per batch than a separate read.
    counts = count_tallies(connection, {r.tool_id for r in requests}, as_of=version)
    # A repeated vote marks its card too: a click is also a request to see true numbers.
    cards = [
        r.card_key if o != "limited" else None for r, o in zip(requests, outcomes, strict=True)
    ]
    claims: list[CardClaim | None] = (
        mark_and_claim(connection, cards, claim_lease_s) if any(cards) else [None] * len(requests)
    )
    return outcomes, persons, generation, counts, claims


def _apply(
    connection: Connection,
    requests: list[VoteRequest],
    limit: RateLimit | None,
    cached: Cached | None,
) -> tuple[list[VoteOutcome], dict[IdentityKey, int], int]:
    """Per batch: lock the people, count their limit (and check the cache), record, upsert."""
    moment = utcnow()
    identities = [r.voter.identity for r in requests]
    persons, cached_generation = cached if cached is not None else (None, None)
    if persons is not None:
        # Lock the cached people, then read the generation after the locks: a link that
        # moved one of these accounts committed before, so it shows as a new generation.
        lock_people_sync(connection, persons.values())
        generation, used = rate_limits.usage(
            connection, "vote", persons.values(), limit, now=moment
        )
        if generation != cached_generation:
            persons = None
    if persons is None:
        persons, generation = resolve_locked(connection, identities)
        _, used = rate_limits.usage(connection, "vote", persons.values(), limit, now=moment)
    person_ids = [persons[i] for i in identities]
    if len(requests) == 1 and limit is not None and connection.dialect.name == "postgresql":
        only = _cast_one_pg(connection, person_ids[0], requests[0], used, limit, moment)
        return [only], persons, generation
    allowed = rate_limits.record(connection, "vote", person_ids, used, limit, now=moment)
    outcomes: list[VoteOutcome] = ["limited"] * len(requests)
    # Two linked accounts of one person may vote on one tool in the same batch; a
    # multi-row upsert can't touch a row twice, so those go in later rounds, in order.
    pending = [i for i, ok in enumerate(allowed) if ok]
    while pending:
        seen: set[tuple[int, int]] = set()
        round_: list[int] = []
        later: list[int] = []
        for i in pending:
            key = (person_ids[i], requests[i].tool_id)
            (later if key in seen else round_).append(i)
            seen.add(key)
        changes = _upsert_many(connection, [(person_ids[i], requests[i]) for i in round_])
        for i, change in zip(round_, changes, strict=True):
            outcomes[i] = change
        pending = later
    return outcomes, persons, generation


def _cast_one_pg(
    connection: Connection,
    person_id: int,
    request: VoteRequest,
    used: Counter[int],
    limit: RateLimit,
    moment: datetime,
) -> VoteOutcome:
    """The usual batch on PostgreSQL, one vote: admitted, it and its rate event are one
    statement (rate_limits.record writes the event on its own for larger batches)."""
    if not rate_limits.admits(used, person_id, limit):
        return "limited"
    voter = request.voter
    return _upsert_one(
        connection,
        person_id,
        voter,
        request.tool_id,
        request.verdict,
        utcnow(),
        event=("vote", moment),
    )


@functools.cache
def _upsert_many_statement(dialect: str) -> Any:
    """Built once per dialect: a batch's votes are its parameters, not part of its SQL."""
    return insert_on_conflict(
        dialect,
        Vote,
        None,
        conflict=["person_id", "tool_id"],
        # The account it was last cast from goes along, for the per-server breakdowns.
        update=["verdict", "updated_at", "platform", "workspace", "user_id"],
        # A repeated vote leaves the row alone, so RETURNING skips it: "unchanged".
        only_if_changed=["verdict"],
    ).returning(
        Vote.person_id,
        Vote.tool_id,
        (Vote.created_at == Vote.updated_at).label("is_new"),
    )


def _upsert_many(
    connection: Connection, requests: list[tuple[int, VoteRequest]]
) -> list[VoteChange]:
    # Its own moment per round, so a later round's change of a new row reads as a change.
    moment = utcnow()
    if len(requests) == 1:
        # The usual case at a human pace: the prebuilt statement skips construction.
        person_id, only = requests[0]
        return [_upsert_one(connection, person_id, only.voter, only.tool_id, only.verdict, moment)]
    rows = [
        {
            "person_id": person_id,
            "platform": r.voter.platform,
            "workspace": r.voter.workspace,
            "user_id": r.voter.user_id,
            "tool_id": r.tool_id,
            "verdict": r.verdict,
            "created_at": moment,
            "updated_at": moment,
        }
        for person_id, r in requests
    ]
    # Core, not the ORM's bulk path: the rows go straight into one multi-row statement.
    result = connection.execute(_upsert_many_statement(connection.dialect.name), rows)
    touched = {(row.person_id, row.tool_id): bool(row.is_new) for row in result}
    outcomes: list[VoteChange] = []
    for person_id, r in requests:
        is_new = touched.get((person_id, r.tool_id))
        outcomes.append("unchanged" if is_new is None else "counted" if is_new else "changed")
    return outcomes


# Prebuilt so the hot path neither constructs nor recompiles the statement.
_TALLIES = Statement(
    """
    SELECT tool_id,
           sum(CASE WHEN verdict = 'ship' THEN 1 ELSE 0 END) AS ship,
           sum(CASE WHEN verdict = 'skip' THEN 1 ELSE 0 END) AS skip
    FROM votes WHERE tool_id IN :ids GROUP BY tool_id
    """,
    lists=["ids"],
)


async def tallies(session: AsyncSession, tool_ids: Iterable[int]) -> dict[int, Tally]:
    """``count_tallies`` in an async session."""
    return await in_session(session, count_tallies, list(tool_ids))


def count_tallies(
    connection: Connection, tool_ids: Iterable[int], *, as_of: int | None = None
) -> dict[int, Tally]:
    """Ship/skip counts per tool; tools without votes get an empty tally.

    ``as_of``: the tally clock's version the caller knows these counts to be true at.
    """
    ids = list(tool_ids)
    if not ids:
        return {}
    rows = _TALLIES.rows(connection, {"ids": ids})
    found = {r[0]: Tally(int(r[1] or 0), int(r[2] or 0), as_of) for r in rows}
    return {tool_id: found.get(tool_id, Tally(as_of=as_of)) for tool_id in ids}


async def votes_of(session: AsyncSession, voter: Voter, tool_ids: Iterable[int]) -> dict[int, str]:
    """The verdicts of the person behind ``voter`` (from any of their linked accounts)."""
    rows = await session.execute(
        select(Vote.tool_id, Vote.verdict)
        .join(Identity, Identity.person_id == Vote.person_id)
        .where(
            Identity.kind == voter.identity.kind,
            Identity.key == voter.identity.key,
            Vote.tool_id.in_(list(tool_ids)),
        )
    )
    return {r.tool_id: r.verdict for r in rows}
