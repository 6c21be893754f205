"""Reading back what the app stored, for assertions."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import Database
from db.models import Bookmark, ChannelSubscription, CompareRequest, Vote


async def count(database: Database, model: type) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def votes(database: Database) -> list[tuple[str, str, int, str]]:
    async with database.read() as session:
        rows = await session.execute(
            select(Vote.workspace, Vote.user_id, Vote.tool_id, Vote.verdict).order_by(Vote.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def nothing_stored(database: Database) -> bool:
    totals = [
        await count(database, model)
        for model in (Vote, Bookmark, CompareRequest, ChannelSubscription)
    ]
    return totals == [0, 0, 0, 0]
