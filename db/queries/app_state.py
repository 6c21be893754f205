"""Small key/value facts every process shares (the Discord command-sync hash, …)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AppState, utcnow
from db.queries.upsert import dialect_of, insert_on_conflict


async def get_value(session: AsyncSession, key: str) -> str | None:
    row = await session.get(AppState, key)
    return None if row is None else row.value


async def set_value(session: AsyncSession, key: str, value: str) -> None:
    """Insert or overwrite ``key``; one statement, so two processes can't both insert."""
    statement = insert_on_conflict(
        dialect_of(session),
        AppState,
        {"key": key, "value": value, "updated_at": utcnow()},
        conflict=["key"],
        update=["value", "updated_at"],
    )
    await session.execute(statement)
