"""vote: one vote per person per tool, changeable, never counted twice."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import func, select

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import ErrorView, VoteResult
from db.engine import Database
from db.models import RateEvent, Vote
from db.queries.rate_limits import RateLimit


async def test_vote_counts_then_changes_then_is_a_no_op(service: CommandService, ctx):
    """First vote counts, a different one changes it, the same one again changes nothing."""
    first = await service.vote(ctx, "cursor", "ship")
    assert isinstance(first, VoteResult) and first.outcome == "counted"
    assert (first.community.ship, first.community.skip) == (1, 0)
    changed = await service.vote(ctx, "Cursor", "SKIP")
    assert isinstance(changed, VoteResult) and changed.outcome == "changed"
    assert (changed.community.ship, changed.community.skip) == (0, 1)
    again = await service.vote(ctx, "cursor", "skip")
    assert isinstance(again, VoteResult) and again.outcome == "unchanged"
    assert "nothing changed" in again.message
    assert again.community.total == 1


async def test_votes_are_per_platform_and_workspace(service: CommandService, ctx):
    """The same user id on another workspace or platform is another voter."""
    await service.vote(ctx, "cursor", "ship")
    await service.vote(CommandContext("console", "w2", ctx.user_id), "cursor", "ship")
    result = await service.vote(CommandContext("slack", "w1", ctx.user_id), "cursor", "skip")
    assert isinstance(result, VoteResult)
    assert (result.community.ship, result.community.skip) == (2, 1)


async def test_vote_rejects_bad_verdicts_and_unknown_tools(service: CommandService, ctx):
    bad = await service.vote(ctx, "cursor", "maybe")
    assert isinstance(bad, ErrorView) and bad.code == "usage"
    unknown = await service.vote(ctx, "no such tool at all", "ship")
    assert isinstance(unknown, ErrorView) and unknown.code == "unknown_tool"
    async with service.database.read() as session:
        assert await session.scalar(select(func.count(Vote.id))) == 0


async def test_vote_on_removed_tool_by_id_is_a_clear_error(service: CommandService, ctx):
    reply = await service.vote_by_id(ctx, 999_999, "ship")
    assert isinstance(reply, ErrorView) and "no longer in the catalog" in reply.message


async def test_rate_limit_answers_politely_and_counts_once(demo_database: Database, ctx):
    """A storm of votes from one person is limited and still counts them once."""
    service = CommandService(demo_database, vote_limit=RateLimit(limit=3, window_s=60))
    replies = [await service.vote(ctx, "cursor", "ship") for _ in range(6)]
    limited = [r for r in replies if isinstance(r, ErrorView)]
    assert len(limited) == 3 and all(r.code == "rate_limited" for r in limited)
    async with demo_database.read() as session:
        assert await session.scalar(select(func.count(Vote.id))) == 1
        # Each admitted vote, changed or not, used one slot; the refused ones none.
        assert await session.scalar(select(func.count(RateEvent.id))) == 3


async def test_fifty_voters_changing_twenty_times_at_once(demo_database: Database):
    """50 voters each change their vote 20 times concurrently; the tally is each one's last."""
    service = CommandService(demo_database, vote_limit=RateLimit(limit=10_000))
    rng = random.Random(7)
    plans = {f"user{i}": [rng.choice(("ship", "skip")) for _ in range(20)] for i in range(50)}

    async def voter(user: str, verdicts: list[str]) -> None:
        ctx = CommandContext("discord", "guild", user)
        for verdict in verdicts:
            result = await service.vote(ctx, "cursor", verdict)
            assert isinstance(result, VoteResult), result

    await asyncio.gather(*(voter(u, v) for u, v in plans.items()))
    expected_ship = sum(1 for v in plans.values() if v[-1] == "ship")
    async with demo_database.read() as session:
        rows = (await session.execute(select(Vote.user_id, Vote.verdict))).all()
    assert len(rows) == 50
    assert {r.user_id: r.verdict for r in rows} == {u: v[-1] for u, v in plans.items()}
    tally = await service.tool(CommandContext("console", "x", "y"), "cursor")
    assert tally.community.ship == expected_ship  # type: ignore[union-attr]
    assert tally.community.total == 50  # type: ignore[union-attr]


async def test_odd_platform_ids_are_stored_safely(service: CommandService):
    """Over-long or NUL-carrying ids from a payload still make a storable voter."""
    ctx = CommandContext("slack", "T" * 300, "U\x00" + "9" * 100)
    result = await service.vote(ctx, "cursor", "ship")
    assert isinstance(result, VoteResult) and result.outcome == "counted"
    assert len(ctx.workspace) == 64 and "\x00" not in ctx.user_id
