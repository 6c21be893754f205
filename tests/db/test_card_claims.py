"""Card marks and claims (db.queries.card_refresh), the same on both databases: a mark
bumps the card's version, and the claim goes to the marker unless someone holds it."""

from __future__ import annotations

import asyncio

from db.engine import Database
from db.queries.card_refresh import bump_and_claim_many, drawn_release_if_current


async def test_marks_bump_versions_and_claims_go_to_free_cards_only(database: Database) -> None:
    first = await database.run_write(bump_and_claim_many, {"c:a": 1, "c:b": 2}, "one", 60.0)
    assert first == {"c:a": 1, "c:b": 2}  # new cards: claimed at their first versions
    # "one" still holds both: another marker bumps them and claims neither.
    second = await database.run_write(
        bump_and_claim_many, {"c:b": 1, "c:a": 3, "c:new": 1}, "two", 60.0
    )
    assert second == {"c:new": 1}
    # Released once drawn (a newer version keeps it held): "c:a" is free again.
    assert await database.run_write(drawn_release_if_current, "c:a", "one", 4, 60.0) is None
    assert await database.run_write(drawn_release_if_current, "c:b", "one", 2, 60.0) == 3
    third = await database.run_write(bump_and_claim_many, {"c:a": 1, "c:b": 1}, "three", 60.0)
    assert third == {"c:a": 5}


async def test_a_claim_whose_lease_ran_out_is_taken_over(database: Database) -> None:
    assert await database.run_write(bump_and_claim_many, {"c:x": 1}, "dead", 0.05) == {"c:x": 1}
    assert await database.run_write(bump_and_claim_many, {"c:x": 1}, "alive", 60.0) == {}
    await asyncio.sleep(0.1)
    assert await database.run_write(bump_and_claim_many, {"c:x": 1}, "alive", 60.0) == {"c:x": 3}
