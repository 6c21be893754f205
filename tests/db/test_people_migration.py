"""Migration 0005: existing votes become people's votes, duplicates merged (latest wins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.bootstrap import DEMO_CATALOG
from db.catalog import import_catalog
from db.migrate import downgrade, upgrade

_TS = sa.DateTime(timezone=True)
VOTES = sa.table(
    "votes",
    sa.column("platform", sa.String),
    sa.column("workspace", sa.String),
    sa.column("user_id", sa.String),
    sa.column("tool_id", sa.Integer),
    sa.column("verdict", sa.String),
    sa.column("created_at", _TS),
    sa.column("updated_at", _TS),
)
BOOKMARKS = sa.table(
    "bookmarks",
    sa.column("platform", sa.String),
    sa.column("workspace", sa.String),
    sa.column("user_id", sa.String),
    sa.column("tool_id", sa.Integer),
    sa.column("created_at", _TS),
)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def test_upgrade_merges_duplicate_votes_per_person(db_target):
    database = db_target.open()
    try:
        await upgrade(database, "0004")
        await import_catalog(database, DEMO_CATALOG)
        async with database.write() as session:
            ids = list((await session.scalars(sa.text("SELECT id FROM tools ORDER BY id"))).all())
            a, b = ids[0], ids[1]

            def vote(platform: str, ws: str, user: str, tool: int, verdict: str, minutes: int):
                at = T0 + timedelta(minutes=minutes)
                return {
                    "platform": platform,
                    "workspace": ws,
                    "user_id": user,
                    "tool_id": tool,
                    "verdict": verdict,
                    "created_at": T0,
                    "updated_at": at,
                }

            await session.execute(
                sa.insert(VOTES),
                [
                    # One Discord user in a DM and two servers: the latest (skip) wins.
                    vote("discord", "g1", "42", a, "ship", 1),
                    vote("discord", "42", "42", a, "skip", 5),
                    vote("discord", "g2", "42", a, "ship", 3),
                    vote("discord", "g2", "42", b, "ship", 2),
                    # Slack users are per team: these are two people.
                    vote("slack", "T1", "U1", a, "ship", 1),
                    vote("slack", "T2", "U1", a, "ship", 1),
                ],
            )
            await session.execute(
                sa.insert(BOOKMARKS),
                [
                    {
                        "platform": "discord",
                        "workspace": w,
                        "user_id": "42",
                        "tool_id": a,
                        "created_at": T0,
                    }
                    for w in ("g1", "g2", "42")
                ],
            )
        await upgrade(database)
        async with database.read() as session:
            rows = (
                await session.execute(
                    sa.text(
                        "SELECT i.kind, i.key, v.tool_id, v.verdict FROM votes v "
                        "JOIN identities i ON i.person_id = v.person_id ORDER BY 1, 2, 3"
                    )
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                ("discord", "42", a, "skip"),
                ("discord", "42", b, "ship"),
                ("slack", "T1:U1", a, "ship"),
                ("slack", "T2:U1", a, "ship"),
            ]
            assert await session.scalar(sa.text("SELECT count(*) FROM people")) == 3
            assert await session.scalar(sa.text("SELECT count(*) FROM bookmarks")) == 1
        # The new rule holds in the schema: a second vote of one person on one tool is refused.
        async with database.engine.connect() as connection:
            person = await connection.scalar(
                sa.text("SELECT person_id FROM identities WHERE key = '42'")
            )
            try:
                await connection.execute(
                    sa.text(
                        "INSERT INTO votes (person_id, platform, workspace, user_id, tool_id,"
                        " verdict, created_at, updated_at) VALUES (:p, 'discord', 'g9', '42',"
                        " :t, 'ship', :now, :now)"
                    ),
                    {"p": person, "t": a, "now": T0},
                )
            except sa.exc.IntegrityError:
                refused = True
            else:
                refused = False
            await connection.rollback()
        assert refused
        # And back down: the old per-account schema returns.
        await downgrade(database, "0004")
        async with database.read() as session:
            assert await session.scalar(sa.text("SELECT count(*) FROM votes")) == 4
    finally:
        await database.dispose()
