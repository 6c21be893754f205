"""Reading the catalog: tools with their reviews, names for matching, panel counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Critic, Review, Tool


@dataclass(frozen=True, slots=True)
class ToolName:
    id: int
    slug: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogStamp:
    """Changes whenever a tool, review or critic is added, changed or removed; cheap to read."""

    tools: int
    tools_changed: str
    reviews: int
    reviews_changed: str
    critics: str


async def tool_names(session: AsyncSession) -> list[ToolName]:
    rows = await session.execute(select(Tool.id, Tool.slug, Tool.name, Tool.aliases))
    return [ToolName(r.id, r.slug, r.name, tuple(r.aliases or ())) for r in rows]


async def catalog_stamp(session: AsyncSession) -> CatalogStamp:
    row = (
        await session.execute(
            select(
                select(func.count(Tool.id)).scalar_subquery(),
                select(func.max(Tool.updated_at)).scalar_subquery(),
                select(func.count(Review.id)).scalar_subquery(),
                select(func.max(Review.updated_at)).scalar_subquery(),
                select(func.count(Critic.id)).scalar_subquery(),
                select(func.sum(Critic.position * Critic.id)).scalar_subquery(),
            )
        )
    ).one()
    return CatalogStamp(int(row[0]), str(row[1]), int(row[2]), str(row[3]), f"{row[4]}:{row[5]}")


async def tools_with_reviews(session: AsyncSession, slugs: Sequence[str]) -> dict[str, Tool]:
    """Tools by slug with reviews and critics loaded; missing slugs are absent."""
    result = await session.scalars(
        select(Tool)
        .where(Tool.slug.in_(list(slugs)))
        .options(selectinload(Tool.reviews).selectinload(Review.critic))
    )
    return {tool.slug: tool for tool in result}


async def critics_in_order(session: AsyncSession) -> list[Critic]:
    return list((await session.scalars(select(Critic).order_by(Critic.position, Critic.id))).all())


async def is_catalog_empty(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count(Tool.id)))) == 0


async def tools_by_id_with_reviews(session: AsyncSession, ids: Iterable[int]) -> list[Tool]:
    """Tools by id with reviews and critics loaded; unknown ids are skipped."""
    result = await session.scalars(
        select(Tool)
        .where(Tool.id.in_(list(ids)))
        .options(selectinload(Tool.reviews).selectinload(Review.critic))
    )
    return list(result.all())


async def tool_by_slug(session: AsyncSession, slug: str) -> ToolName | None:
    """The tool a digest vote link names, or None when it has left the catalog."""
    found = select(Tool.id, Tool.slug, Tool.name).where(Tool.slug == slug)
    row = (await session.execute(found)).first()
    return None if row is None else ToolName(int(row.id), str(row.slug), str(row.name), ())
