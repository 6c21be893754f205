"""Bookmarks: a person's saved tools."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Bookmark, Identity, Review, Tool
from db.queries.people import email_identity, resolve
from db.queries.upsert import dialect_of, insert_on_conflict
from db.queries.votes import Tally, Voter, tallies


async def toggle_bookmark(session: AsyncSession, voter: Voter, tool_id: int) -> bool:
    """Save the tool, or remove it when already saved; returns whether it is saved now."""
    person_id = await resolve(session, voter.identity)
    removed = await session.execute(
        delete(Bookmark)
        .where(Bookmark.person_id == person_id, Bookmark.tool_id == tool_id)
        .returning(Bookmark.id)
    )
    if removed.first() is not None:
        return False
    await _save(session, person_id, voter, tool_id)
    return True


async def set_bookmark(session: AsyncSession, voter: Voter, tool_id: int, saved: bool) -> bool:
    """Save or remove the tool, whatever it was before (idempotent); returns ``saved``.

    Keyed by person like every bookmark, so a linked account's click sees the same one.
    """
    person_id = await resolve(session, voter.identity)
    if not saved:
        await session.execute(
            delete(Bookmark).where(Bookmark.person_id == person_id, Bookmark.tool_id == tool_id)
        )
        return False
    await _save(session, person_id, voter, tool_id)
    return True


async def _save(session: AsyncSession, person_id: int, voter: Voter, tool_id: int) -> None:
    """The person's bookmark of the tool; one already there (another click won) stays."""
    row = {
        "person_id": person_id,
        "platform": voter.platform,
        "workspace": voter.workspace,
        "user_id": voter.user_id,
        "tool_id": tool_id,
    }
    await session.execute(
        insert_on_conflict(dialect_of(session), Bookmark, row, conflict=["person_id", "tool_id"])
    )


async def bookmarked_tools(session: AsyncSession, voter: Voter) -> list[Tool]:
    result = await session.scalars(
        select(Tool)
        .join(Bookmark, Bookmark.tool_id == Tool.id)
        .join(Identity, Identity.person_id == Bookmark.person_id)
        .where(Identity.kind == voter.identity.kind, Identity.key == voter.identity.key)
        .order_by(Bookmark.created_at, Bookmark.id)
    )
    return list(result.all())


async def bookmarks_by_address(
    session: AsyncSession, addresses: Iterable[str]
) -> dict[str, frozenset[int]]:
    """The tools bookmarked by the person behind each confirmed address, for a digest batch.

    One query for the batch: the address's email identity leads to its person, who may
    have bookmarked from chat (a /subscribe in chat linked the two). Keys are the
    addresses as given; addresses without bookmarks are absent.
    """
    by_key = {email_identity(a).key: a for a in addresses}
    if not by_key:
        return {}
    rows = await session.execute(
        select(Identity.key, Bookmark.tool_id)
        .join(Bookmark, Bookmark.person_id == Identity.person_id)
        .where(Identity.kind == "email", Identity.key.in_(list(by_key)))
    )
    found: dict[str, set[int]] = {}
    for key, tool_id in rows:
        found.setdefault(by_key[key], set()).add(int(tool_id))
    return {address: frozenset(ids) for address, ids in found.items()}


@dataclass(frozen=True, slots=True)
class ToolState:
    """A tool as it stands now: what a bookmark block shows."""

    id: int
    slug: str
    name: str
    entry_price: str
    panel_ship: int
    panel_skip: int
    score_avg: float | None
    community: Tally

    @property
    def community_pct(self) -> int | None:
        total = self.community.ship + self.community.skip
        return None if total == 0 else round(100 * self.community.ship / total)


async def tool_states(session: AsyncSession, tool_ids: Iterable[int]) -> dict[int, ToolState]:
    """Current panel verdict, average score, community tally and price of each tool."""
    ids = list(tool_ids)
    if not ids:
        return {}
    panel_rows = await session.execute(
        select(
            Review.tool_id,
            func.sum(case((Review.verdict == "ship", 1), else_=0)),
            func.sum(case((Review.verdict == "skip", 1), else_=0)),
            func.avg(Review.score),
        )
        .where(Review.tool_id.in_(ids))
        .group_by(Review.tool_id)
    )
    panels = {
        int(r[0]): (int(r[1] or 0), int(r[2] or 0), None if r[3] is None else float(r[3]))
        for r in panel_rows
    }
    counts = await tallies(session, ids)
    tools = await session.execute(
        select(Tool.id, Tool.slug, Tool.name, Tool.entry_price).where(Tool.id.in_(ids))
    )
    return {
        int(t.id): ToolState(
            int(t.id),
            t.slug,
            t.name,
            t.entry_price or "",
            *panels.get(int(t.id), (0, 0, None)),
            counts.get(int(t.id), Tally()),
        )
        for t in tools
    }
