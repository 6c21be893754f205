"""One person, one vote: votes, links and limits count people, not accounts."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text, update

from bot.core.context import CommandContext
from bot.core.linking import ALPHABET
from bot.core.service import CommandService
from bot.core.views import BookmarkList, ErrorView, NoticeView, VoteResult
from db.engine import Database
from db.models import LinkCode, Vote, utcnow
from db.queries.rate_limits import RateLimit
from db.queries.votes import VoteRequest, cast_votes

DISCORD_SERVER = CommandContext("discord", "guild-1", "4242")
DISCORD_OTHER_SERVER = CommandContext("discord", "guild-2", "4242")
DISCORD_DM = CommandContext("discord", "4242", "4242")  # a DM's "workspace" is the user id
SLACK = CommandContext("slack", "T1", "U77")
SLACK_OTHER = CommandContext("slack", "T1", "U88")
CODE = re.compile(r"\b([A-Z2-9]{8})\b")


async def _code(service: CommandService, ctx: CommandContext) -> str:
    reply = await service.link(ctx)
    assert isinstance(reply, NoticeView)
    found = CODE.search(reply.message)
    assert found, reply.message
    return found.group(1)


async def _rows(database: Database) -> dict[str, list[Any]]:
    """Every row of every table /link touches, to show a refusal changed nothing."""
    tables = ("people", "identities", "votes", "bookmarks", "link_codes")
    out: dict[str, list[Any]] = {}
    async with database.read() as session:
        for table in tables:
            rows = await session.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
            out[table] = [tuple(r) for r in rows]
    return out


async def test_a_discord_user_voting_in_a_server_and_a_dm_counts_once(service: CommandService):
    """The Discord user id is global: servers and DMs are one voter, the latest vote wins."""
    await service.vote(DISCORD_SERVER, "cursor", "ship")
    await service.vote(DISCORD_OTHER_SERVER, "cursor", "ship")
    last = await service.vote(DISCORD_DM, "cursor", "skip")
    assert isinstance(last, VoteResult) and last.outcome == "changed"
    assert (last.community.ship, last.community.skip) == (0, 1)


async def test_link_code_is_eight_characters_of_the_alphabet(service: CommandService):
    code = await _code(service, DISCORD_SERVER)
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    async with service.database.read() as session:
        stored = await session.scalar(select(LinkCode.code_hash))
    assert stored is not None and code not in stored  # only the hash is kept


async def test_linking_merges_tallies_latest_vote_wins(service: CommandService):
    """Ship on Discord, skip on Slack, link: one vote, skip."""
    await service.vote(DISCORD_SERVER, "cursor", "ship")
    before = await service.vote(SLACK, "cursor", "skip")
    assert isinstance(before, VoteResult) and before.community.total == 2
    await service.bookmark(DISCORD_SERVER, "cursor")
    await service.bookmark(SLACK, "copilot")
    linked = await service.link(SLACK, await _code(service, DISCORD_DM))
    assert isinstance(linked, NoticeView) and "Linked" in linked.message
    card = await service.tool(DISCORD_SERVER, "cursor")
    assert not isinstance(card, ErrorView)
    assert (card.community.ship, card.community.skip) == (0, 1)
    saved = await service.bookmarks(DISCORD_OTHER_SERVER)
    assert isinstance(saved, BookmarkList)
    assert len(saved.items) == 2  # the union of both accounts' bookmarks
    assert {i.your_vote for i in saved.items if i.tool_slug == "cursor"} == {"skip"}
    # Voting again from either account changes the one vote.
    again = await service.vote(SLACK, "cursor", "ship")
    assert isinstance(again, VoteResult) and again.outcome == "changed"
    assert again.community.total == 1


async def test_unlinking_starts_the_account_fresh_and_keeps_the_votes(service: CommandService):
    await service.vote(DISCORD_SERVER, "cursor", "ship")
    await service.link(SLACK, await _code(service, DISCORD_SERVER))
    reply = await service.unlink(SLACK)
    assert isinstance(reply, NoticeView) and "Unlinked" in reply.message
    mine = await service.bookmarks(SLACK)
    assert isinstance(mine, BookmarkList) and mine.items == ()
    vote = await service.vote(SLACK, "cursor", "skip")
    assert isinstance(vote, VoteResult) and vote.outcome == "counted"
    assert (vote.community.ship, vote.community.skip) == (1, 1)
    not_linked = await service.unlink(SLACK)
    assert isinstance(not_linked, ErrorView) and "isn't linked" in not_linked.message


async def test_a_cached_account_follows_a_link_and_unlink_made_elsewhere(
    service: CommandService,
):
    """The vote path caches account -> person; another process's unlink must not leave it
    pointing at the old person, nor its link at the person that went away."""
    other = CommandService(service.database)  # a second process on the same database
    await other.index.refresh(service.database, force=True)
    await service.vote(DISCORD_SERVER, "cursor", "ship")
    await service.vote(SLACK, "cursor", "skip")  # both accounts now cached by ``service``
    await other.link(SLACK, await _code(other, DISCORD_SERVER))
    merged = await service.vote(SLACK, "copilot", "ship")
    assert isinstance(merged, VoteResult)
    card = await service.tool(DISCORD_DM, "cursor")
    assert not isinstance(card, ErrorView) and card.community.total == 1
    again = await service.vote(DISCORD_SERVER, "cursor", "ship")
    assert isinstance(again, VoteResult) and again.outcome == "changed"  # one person's vote
    await other.unlink(SLACK)
    fresh = await service.vote(SLACK, "cursor", "skip")
    assert isinstance(fresh, VoteResult) and fresh.outcome == "counted"
    assert (fresh.community.ship, fresh.community.skip) == (1, 1)


async def _refused(service: CommandService, ctx: CommandContext, code: str, words: str) -> None:
    before = await _rows(service.database)
    reply = await service.link(ctx, code)
    assert isinstance(reply, ErrorView), reply
    assert words in reply.message
    after = await _rows(service.database)
    # Only the attempt counter (rate_events, not listed) may move; people, votes, codes not.
    assert after == before


async def test_link_refusals_are_clear_and_change_nothing(service: CommandService):
    # Every account here has been seen before: a first-seen account gets its person
    # (and an attempt is counted for it) on its first command, /link included.
    await service.vote(DISCORD_SERVER, "cursor", "ship")
    await service.vote(SLACK, "cursor", "skip")
    await service.vote(SLACK_OTHER, "cursor", "ship")
    await _refused(service, SLACK, "hello there", "8 letters and digits")
    await _refused(service, SLACK, "ABCDEFG1", "8 letters and digits")  # 1 is not in the set
    await _refused(service, SLACK, "ABCDEFGH", "isn't one I gave out")
    own = await _code(service, DISCORD_SERVER)
    await _refused(service, DISCORD_DM, own, "same account")
    # Expired: move the clock of the stored code back past its 10 minutes.
    async with service.database.write() as session:
        await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await _refused(service, SLACK, own, "expired")
    # Used: a fresh code redeemed once links; the second time is refused.
    code = await _code(service, DISCORD_SERVER)
    assert isinstance(await service.link(SLACK, code), NoticeView)
    await _refused(service, SLACK_OTHER, code, "already used")
    # Already linked elsewhere: SLACK belongs to the Discord person now.
    other = await _code(service, SLACK_OTHER)
    await _refused(service, SLACK, other, "already linked")


async def test_link_attempts_are_rate_limited(service: CommandService):
    replies = [await service.link(SLACK, "ABCDEFGH") for _ in range(6)]
    assert [r.code for r in replies if isinstance(r, ErrorView)].count("rate_limited") == 1
    good = await _code(service, DISCORD_SERVER)
    limited = await service.link(SLACK, good)
    assert isinstance(limited, ErrorView) and limited.code == "rate_limited"


async def test_vote_rate_limit_holds_across_two_processes(demo_database: Database, db_target):
    """Two engines on one database (two processes' view) share one per-person limit."""
    second = db_target.open()
    try:
        rule = RateLimit(limit=10, window_s=60)
        async with demo_database.read() as session:
            tool_ids = list((await session.scalars(text("SELECT id FROM tools LIMIT 20"))).all())
        assert len(tool_ids) == 20

        async def vote(i: int, tool_id: int) -> bool:
            database = demo_database if i % 2 else second
            request = VoteRequest(DISCORD_SERVER.voter, tool_id, "ship")
            [(outcome, _, _)] = await cast_votes(database, [request], rule)
            return outcome != "limited"

        accepted = await asyncio.gather(*(vote(i, t) for i, t in enumerate(tool_ids)))
        assert sum(accepted) == 10
        async with demo_database.read() as session:
            assert await session.scalar(select(func.count(Vote.id))) == 10
    finally:
        await second.dispose()


async def test_two_services_on_two_engines_share_the_vote_limit(
    demo_database: Database, db_target
) -> None:
    """Each process lets 10 through its own memory; the database holds the total to 10."""
    second = db_target.open()
    try:
        services = [CommandService(demo_database), CommandService(second)]
        async with demo_database.read() as session:
            slugs = list((await session.scalars(text("SELECT slug FROM tools LIMIT 20"))).all())
        replies = await asyncio.gather(
            *(services[i % 2].vote(DISCORD_SERVER, slug, "ship") for i, slug in enumerate(slugs))
        )
        assert sum(isinstance(r, VoteResult) for r in replies) == 10
        assert all(r.code == "rate_limited" for r in replies if isinstance(r, ErrorView))
    finally:
        await second.dispose()
