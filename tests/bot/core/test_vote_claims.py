"""A click's vote marks its card and takes the claim to redraw it, in one transaction."""

from __future__ import annotations

from sqlalchemy import text

from bot.core.context import CommandContext
from db.engine import Database
from db.queries.card_refresh import bump_and_claim, card_state
from db.queries.rate_limits import RateLimit
from db.queries.votes import VoteRequest, cast_votes

CARD = "discord:1:2"
OTHER_CARD = "discord:1:3"


def _voter(n: int) -> CommandContext:
    return CommandContext("discord", "guild-1", f"42{n:03d}")


async def _tool_ids(database: Database, n: int) -> list[int]:
    async with database.read() as session:
        return list((await session.scalars(text(f"SELECT id FROM tools LIMIT {n}"))).all())


async def test_votes_in_one_batch_mark_a_card_once_each_and_one_takes_its_claim(
    demo_database: Database,
) -> None:
    first, second = await _tool_ids(demo_database, 2)
    requests = [
        VoteRequest(_voter(1).voter, first, "ship", CARD),
        VoteRequest(_voter(2).voter, second, "skip", CARD),
        VoteRequest(_voter(3).voter, first, "skip", OTHER_CARD),
        VoteRequest(_voter(4).voter, first, "ship"),  # a /vote: no card
    ]
    casts = await cast_votes(demo_database, requests)
    assert [c.outcome for c in casts] == ["counted"] * 4
    claims = [c.claim for c in casts]
    assert claims[0] is not None and claims[0].card_key == CARD and claims[0].version == 2
    assert claims[1] is None  # the first vote's draw shows it: one claim per card
    assert claims[2] is not None and claims[2].card_key == OTHER_CARD
    assert claims[3] is None
    async with demo_database.read() as session:
        state = await card_state(session, CARD)
        other = await card_state(session, OTHER_CARD)
    assert state is not None and state.version == 2 and state.owner == claims[0].owner
    assert other is not None and other.version == 1 and other.owner == claims[2].owner


async def test_a_vote_on_a_card_someone_is_drawing_marks_it_for_them(
    demo_database: Database,
) -> None:
    [tool] = await _tool_ids(demo_database, 1)
    async with demo_database.write() as session:
        assert await bump_and_claim(session, CARD, "another-process", 60) == 1
    [cast] = await cast_votes(demo_database, [VoteRequest(_voter(1).voter, tool, "ship", CARD)])
    assert cast.outcome == "counted" and cast.claim is None
    async with demo_database.read() as session:
        state = await card_state(session, CARD)
    # The holder's "drawn" record then finds version 2 and draws again.
    assert state is not None and state.version == 2 and state.owner == "another-process"


async def test_a_limited_vote_neither_marks_nor_claims_the_card(demo_database: Database) -> None:
    [tool] = await _tool_ids(demo_database, 1)
    rule = RateLimit(limit=1, window_s=60)
    voter = _voter(1).voter
    [counted] = await cast_votes(demo_database, [VoteRequest(voter, tool, "ship", CARD)], rule)
    assert counted.claim is not None
    [limited] = await cast_votes(
        demo_database, [VoteRequest(voter, tool, "skip", OTHER_CARD)], rule
    )
    assert limited.outcome == "limited" and limited.claim is None
    async with demo_database.read() as session:
        assert await card_state(session, OTHER_CARD) is None


async def test_a_repeated_vote_still_claims_the_card_to_show_true_numbers(
    demo_database: Database,
) -> None:
    [tool] = await _tool_ids(demo_database, 1)
    voter = _voter(1).voter
    await cast_votes(demo_database, [VoteRequest(voter, tool, "ship")])
    [again] = await cast_votes(demo_database, [VoteRequest(voter, tool, "ship", CARD)])
    assert again.outcome == "unchanged"
    assert again.claim is not None and again.claim.version == 1
