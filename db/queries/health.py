"""Cheap questions for /readyz and `shiporskip status`."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Critic, Tool, Vote


class CatalogSize(NamedTuple):
    tools: int
    critics: int
    votes: int


async def ping(session: AsyncSession) -> None:
    """One round trip; raises when the database does not answer."""
    await session.execute(text("SELECT 1"))


async def catalog_size(session: AsyncSession) -> CatalogSize:
    row = (
        await session.execute(
            select(
                select(func.count(Tool.id)).scalar_subquery(),
                select(func.count(Critic.id)).scalar_subquery(),
                select(func.count(Vote.id)).scalar_subquery(),
            )
        )
    ).one()
    return CatalogSize(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
