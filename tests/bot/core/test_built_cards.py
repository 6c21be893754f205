"""Cards are built once per (tools, counts) and catalog generation (CommandService._built)."""

from __future__ import annotations

from sqlalchemy import text

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import CompareCard
from db.engine import Database


def person(n: int) -> CommandContext:
    return CommandContext("console", "w1", f"u{n}", f"User {n}")


async def test_an_unchanged_card_is_the_same_object_and_a_vote_makes_a_new_one(
    demo_database: Database,
) -> None:
    service = CommandService(demo_database)
    first = await service.compare(person(0), "cursor", "copilot")
    again = await service.compare(person(1), "cursor", "copilot")
    assert isinstance(first, CompareCard) and again is first
    await service.vote(person(2), "cursor", "ship")
    voted = await service.compare(person(0), "cursor", "copilot")
    assert isinstance(voted, CompareCard) and voted is not first
    cursor = voted.first if voted.first.slug == "cursor" else voted.second
    assert (cursor.community.ship, cursor.community.skip) == (1, 0)


async def test_a_catalog_change_is_never_served_from_the_built_cards(
    demo_database: Database,
) -> None:
    service = CommandService(demo_database)
    before = await service.compare(person(0), "cursor", "copilot")
    assert isinstance(before, CompareCard)
    async with demo_database.write() as session:
        await session.execute(
            text("UPDATE tools SET description = 'Rewritten description' WHERE slug = 'cursor'")
        )
    await service.index.refresh(demo_database, force=True)  # as after a catalog import
    after = await service.compare(person(0), "cursor", "copilot")
    assert isinstance(after, CompareCard) and after is not before
    cursor = after.first if after.first.slug == "cursor" else after.second
    assert cursor.description == "Rewritten description"
