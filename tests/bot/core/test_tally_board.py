"""Tallies from memory (bot/core/tally_board.py), kept true across processes by the clock.

Two CommandService objects on one database stand for two processes.
"""

from __future__ import annotations

from sqlalchemy import text

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import CompareCard
from db.engine import Database
from db.models import utcnow
from db.queries import tally_clock
from db.queries.people import resolve
from db.queries.tools import ToolName
from db.queries.votes import Voter


def person(n: int) -> CommandContext:
    return CommandContext("console", "w1", f"u{n}", f"User {n}")


async def community(service: CommandService) -> tuple[int, int]:
    card = await service.compare(person(0), "cursor", "copilot")
    assert isinstance(card, CompareCard)
    cursor = card.first if card.first.slug == "cursor" else card.second
    assert cursor.slug == "cursor"
    return cursor.community.ship, cursor.community.skip


async def test_a_vote_elsewhere_shows_once_the_clock_moved(demo_database: Database) -> None:
    here, there = CommandService(demo_database), CommandService(demo_database)
    here.tally_board.max_age_s = 0.0  # look at the clock on every read
    assert await community(here) == (0, 0)
    await there.vote(person(1), "cursor", "ship")
    assert await community(here) == (1, 0)
    await there.vote(person(1), "cursor", "skip")  # a changed vote
    await there.vote(person(2), "cursor", "skip")
    assert await community(here) == (0, 2)


async def test_own_votes_show_at_once(demo_database: Database) -> None:
    service = CommandService(demo_database)
    service.tally_board.max_age_s = 3600.0  # never looks at the clock again
    assert await community(service) == (0, 0)
    await service.vote(person(1), "cursor", "ship")
    assert await community(service) == (1, 0)


async def test_counts_come_from_memory_until_the_clock_moves(demo_database: Database) -> None:
    service = CommandService(demo_database)
    service.tally_board.max_age_s = 0.0
    assert await community(service) == (0, 0)
    cursor = service.index.resolve("cursor").tool  # type: ignore[union-attr]
    copilot = service.index.resolve("copilot").tool  # type: ignore[union-attr]
    assert isinstance(cursor, ToolName) and isinstance(copilot, ToolName)
    # A vote written behind the clock's back is not seen: the count is served from memory.
    async with demo_database.write() as session:
        person_id = await resolve(session, Voter("console", "w1", "u9").identity)
        await session.execute(
            text(
                "INSERT INTO votes (person_id, platform, workspace, user_id, tool_id, verdict,"
                " created_at, updated_at)"
                " VALUES (:person, 'console', 'w1', 'u9', :tool, 'ship', :now, :now)"
            ),
            {"person": person_id, "tool": cursor.id, "now": utcnow()},
        )
    assert await community(service) == (0, 0)
    # Another tool's change leaves Cursor's count in memory; Cursor's own is re-read.
    before = await demo_database.run_read(tally_clock.now)
    assert await demo_database.run_write(tally_clock.bump, [copilot.id]) == before + 1
    assert await community(service) == (0, 0)
    await demo_database.run_write(tally_clock.bump, [cursor.id])
    assert await community(service) == (1, 0)


async def _vote_behind_the_clock(database: Database, tool_id: int, user: str) -> None:
    """A vote row written without moving the tally clock: only a recount would see it."""
    async with database.write() as session:
        person_id = await resolve(session, Voter("console", "w1", user).identity)
        await session.execute(
            text(
                "INSERT INTO votes (person_id, platform, workspace, user_id, tool_id, verdict,"
                " created_at, updated_at)"
                " VALUES (:person, 'console', 'w1', :user, :tool, 'ship', :now, :now)"
            ),
            {"person": person_id, "user": user, "tool": tool_id, "now": utcnow()},
        )


async def test_own_votes_are_not_counted_again_when_the_clock_moves(
    demo_database: Database,
) -> None:
    """The clock moved by this process's own vote drops nothing: its count is as new."""
    service = CommandService(demo_database)
    service.tally_board.max_age_s = 0.0  # looks at the clock on every read
    assert await community(service) == (0, 0)
    cursor = service.index.resolve("cursor").tool  # type: ignore[union-attr]
    assert isinstance(cursor, ToolName)
    await service.vote(person(1), "cursor", "ship")
    await _vote_behind_the_clock(demo_database, cursor.id, "u9")
    # A recount would find two ship votes; the board keeps the count its vote noted.
    assert await community(service) == (1, 0)
    # Another process's vote on Cursor is newer than that count: now it is counted.
    await CommandService(demo_database).vote(person(2), "cursor", "skip")
    assert await community(service) == (2, 1)


async def test_a_redraw_sees_a_vote_from_elsewhere_at_once(demo_database: Database) -> None:
    """``fresh`` (a live-card redraw) looks at the clock first, however recent the last look."""
    here, there = CommandService(demo_database), CommandService(demo_database)
    here.tally_board.max_age_s = 3600.0
    assert await community(here) == (0, 0)
    await there.vote(person(1), "cursor", "ship")
    cursor = here.index.resolve("cursor").tool  # type: ignore[union-attr]
    copilot = here.index.resolve("copilot").tool  # type: ignore[union-attr]
    assert isinstance(cursor, ToolName) and isinstance(copilot, ToolName)
    assert await community(here) == (0, 0)  # the plain path trusts memory for a while
    card = await here.compare_by_id(cursor.id, copilot.id, fresh=True)
    assert isinstance(card, CompareCard)
    shown = card.first if card.first.slug == "cursor" else card.second
    assert (shown.community.ship, shown.community.skip) == (1, 0)


async def test_redraws_at_once_share_looks_at_the_clock(demo_database: Database) -> None:
    """Many concurrent redraws cost a few clock reads, and each sees what came before it."""
    import asyncio

    here, there = CommandService(demo_database), CommandService(demo_database)
    await here.index.refresh(demo_database, force=True)
    cursor = here.index.resolve("cursor").tool  # type: ignore[union-attr]
    assert isinstance(cursor, ToolName)
    board = here.tally_board
    board.max_age_s = 3600.0
    await board.tallies([cursor.id])
    looks_before = board._checks_begun
    await there.vote(person(1), "cursor", "ship")
    counted = await asyncio.gather(*(board.tallies([cursor.id], current=True) for _ in range(50)))
    assert all(c[cursor.id].ship == 1 for c in counted)
    assert board._checks_begun - looks_before <= 2


def test_an_older_count_never_replaces_a_newer_one(demo_database: Database) -> None:
    from bot.core.tally_board import TallyBoard
    from db.queries.votes import Tally

    board = TallyBoard(demo_database)
    board.note(7, Tally(3, 1, as_of=11))
    board.note(7, Tally(2, 1, as_of=10))  # a batch that committed earlier, noted later
    assert board._counts[7] == Tally(3, 1)
    board.note(7, Tally(3, 2, as_of=12))
    assert board._counts[7] == Tally(3, 2)


async def test_concurrent_readers_and_votes_always_get_every_count(
    demo_database: Database,
) -> None:
    """Counts dropped while another read waits on the database never go missing."""
    import asyncio

    service = CommandService(demo_database)
    service.tally_board.max_age_s = 0.0

    async def reader() -> None:
        for _ in range(5):
            assert await community(service) is not None

    async def voter(n: int) -> None:
        for verdict in ("ship", "skip", "ship"):
            await service.vote(person(n), "cursor", verdict)

    await asyncio.gather(*(reader() for _ in range(5)), *(voter(n) for n in range(5)))
    assert await community(service) == (5, 0)


async def test_a_link_that_merges_votes_moves_every_board(demo_database: Database) -> None:
    """Linking two accounts that both voted leaves one vote; both boards show it."""
    import re

    from bot.core.views import NoticeView

    here, there = CommandService(demo_database), CommandService(demo_database)
    here.tally_board.max_age_s = 0.0
    there.tally_board.max_age_s = 3600.0  # only its own writes may move it
    await here.vote(person(1), "cursor", "ship")
    await here.vote(person(2), "cursor", "ship")
    assert await community(here) == (2, 0)
    assert await community(there) == (2, 0)
    notice = await there.link(person(1))
    assert isinstance(notice, NoticeView)
    found = re.search(r"\b([A-Z0-9]{8})\b", notice.message)
    assert found is not None
    linked = await there.link(person(2), found.group(1))
    assert isinstance(linked, NoticeView) and "Linked" in linked.message
    assert await community(there) == (1, 0)
    assert await community(here) == (1, 0)
