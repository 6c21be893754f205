"""Migration 0004 on a database that already has subscribers and deliveries."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import Database
from db.migrate import downgrade, upgrade


async def _seed_at_0003(database: Database) -> None:
    await downgrade(database, "0003")
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO subscribers (id, email, status, source, hard_failures, created_at) "
                "VALUES (1, 'a@example.com', 'confirmed', 'web', 0, CURRENT_TIMESTAMP), "
                "(2, 'b@example.com', 'pending', 'web', 0, CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO digest_issues (id, week, subject, snapshot, built_at) "
                "VALUES (1, '2026-W21', 's', '{}', CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO deliveries (issue_id, subscriber_id, status, attempts) "
                "VALUES (1, 1, 'sent', 1), (1, 2, 'pending', 0)"
            )
        )


async def test_upgrade_keeps_subscribers_and_gives_each_a_key(database: Database) -> None:
    """Every row keeps its id and deliveries; each gets its own random link key."""
    await _seed_at_0003(database)
    await upgrade(database)
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT id, email, link_key FROM subscribers ORDER BY id")
            )
        ).all()
        links = (
            await connection.execute(
                text("SELECT subscriber_id FROM deliveries ORDER BY subscriber_id")
            )
        ).all()
    assert [(r[0], r[1]) for r in rows] == [(1, "a@example.com"), (2, "b@example.com")]
    keys = [r[2] for r in rows]
    assert all(len(k) >= 22 for k in keys) and keys[0] != keys[1]
    # SQLite's table rebuild must not have set the deliveries' subscriber to NULL.
    assert [r[0] for r in links] == [1, 2]


async def test_ids_are_never_reused_after_the_upgrade(database: Database) -> None:
    """The highest id deleted stays used: the next row gets a new one (SQLite AUTOINCREMENT)."""
    await _seed_at_0003(database)
    await upgrade(database)
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM deliveries"))
        await connection.execute(text("DELETE FROM subscribers WHERE id = 2"))
        if not database.is_sqlite:
            # The seed wrote explicit ids; PostgreSQL's sequence must catch up as `run` would.
            await connection.execute(text("SELECT setval('subscribers_id_seq', (SELECT 2))"))
        await connection.execute(
            text(
                "INSERT INTO subscribers (email, status, source, hard_failures, created_at, "
                "link_key) VALUES ('c@example.com', 'pending', 'web', 0, CURRENT_TIMESTAMP, 'k')"
            )
        )
        new_id = await connection.scalar(
            text("SELECT id FROM subscribers WHERE email = 'c@example.com'")
        )
    assert new_id == 3


async def test_downgrade_keeps_subscribers(database: Database) -> None:
    """Down to 0003 and back up: the rows and their deliveries survive both ways."""
    await _seed_at_0003(database)
    await upgrade(database)
    await downgrade(database, "0003")
    async with database.engine.connect() as connection:
        emails = (await connection.execute(text("SELECT email FROM subscribers ORDER BY id"))).all()
        links = (
            await connection.execute(text("SELECT count(subscriber_id) FROM deliveries"))
        ).scalar()
    assert [r[0] for r in emails] == ["a@example.com", "b@example.com"]
    assert links == 2
    await upgrade(database)
