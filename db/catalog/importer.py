"""Apply a validated catalog in one transaction: upsert critics, tools and reviews by slug."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.catalog.reader import read_catalog
from db.catalog.schema import Catalog, ToolEntry
from db.engine import Database
from db.models import Critic, Review, ReviewVersion, Tool


@dataclass(frozen=True, slots=True)
class ImportSummary:
    critics: int
    tools_added: int
    tools_updated: int
    reviews_changed: int
    tools_removed: int

    def __str__(self) -> str:
        text = (
            f"{self.critics} critics, {self.tools_added} tools added, "
            f"{self.tools_updated} updated, {self.reviews_changed} reviews new or changed"
        )
        return text + (f", {self.tools_removed} removed" if self.tools_removed else "")


async def import_catalog(database: Database, path: Path, *, prune: bool = False) -> ImportSummary:
    """Validate everything under ``path`` first (CatalogError if anything is wrong), then apply.

    With ``prune``, tools missing from the files leave the catalog (with their votes).
    """
    catalog = read_catalog(path)
    async with database.write() as session:
        return await apply_catalog(session, catalog, prune=prune)


async def apply_catalog(session: AsyncSession, catalog: Catalog, *, prune: bool) -> ImportSummary:
    critics = {c.slug: c for c in (await session.scalars(select(Critic))).all()}
    for position, critic_entry in enumerate(catalog.critics):
        critic = critics.get(critic_entry.slug)
        if critic is None:
            critic = Critic(slug=critic_entry.slug)
            session.add(critic)
            critics[critic_entry.slug] = critic
        critic.name, critic.persona = critic_entry.name, critic_entry.persona
        critic.bio = critic_entry.bio
        critic.position = position
    await session.flush()

    tools = {t.slug: t for t in (await session.scalars(select(Tool))).all()}
    reviews = {(r.tool_id, r.critic_id): r for r in (await session.scalars(select(Review))).all()}
    added = updated = changed = 0
    for entry in catalog.tools:
        tool = tools.get(entry.slug)
        if tool is None:
            tool = Tool(slug=entry.slug)
            session.add(tool)
            added += 1
        elif _tool_differs(tool, entry):
            updated += 1
        _fill_tool(tool, entry)
        await session.flush()
        for critic_slug, review_entry in entry.reviews.items():
            critic = critics[critic_slug]
            review = reviews.get((tool.id, critic.id))
            fields = (
                review_entry.score,
                review_entry.verdict,
                review_entry.text,
                review_entry.reviewed,
            )
            if review is None:
                session.add(
                    Review(
                        tool_id=tool.id,
                        critic_id=critic.id,
                        score=fields[0],
                        verdict=fields[1],
                        text=fields[2],
                        reviewed=fields[3],
                    )
                )
                changed += 1
            elif (review.score, review.verdict, review.text, review.reviewed) != fields:
                # Keep what the critic said before, so a changed verdict can be shown as one.
                session.add(
                    ReviewVersion(
                        tool_id=tool.id,
                        critic_id=critic.id,
                        score=review.score,
                        verdict=review.verdict,
                        text=review.text,
                        reviewed=review.reviewed,
                    )
                )
                review.score, review.verdict, review.text, review.reviewed = fields
                changed += 1
    removed = 0
    if prune:
        keep = {entry.slug for entry in catalog.tools}
        gone = [tool.id for slug, tool in tools.items() if slug not in keep]
        if gone:
            await session.execute(delete(Tool).where(Tool.id.in_(gone)))
            removed = len(gone)
    await session.flush()
    return ImportSummary(len(catalog.critics), added, updated, changed, removed)


_TOOL_FIELDS = (
    "name",
    "aliases",
    "category",
    "best_for",
    "description",
    "pricing",
    "entry_price",
    "vendor",
    "url",
    "added",
)


def _tool_differs(tool: Tool, entry: ToolEntry) -> bool:
    return any(getattr(tool, f) != getattr(entry, f) for f in _TOOL_FIELDS)


def _fill_tool(tool: Tool, entry: ToolEntry) -> None:
    for name in _TOOL_FIELDS:
        value = getattr(entry, name)
        if getattr(tool, name, None) != value:
            setattr(tool, name, list(value) if name == "aliases" else value)
