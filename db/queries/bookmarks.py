"""Bookmarks: a person's saved tools."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Bookmark, Identity, Tool
from db.queries.people import resolve
from db.queries.votes import Voter


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
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Bookmark)
        .values(
            person_id=person_id,
            platform=voter.platform,
            workspace=voter.workspace,
            user_id=voter.user_id,
            tool_id=tool_id,
        )
        .on_conflict_do_nothing()
    )
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
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Bookmark)
        .values(
            person_id=person_id,
            platform=voter.platform,
            workspace=voter.workspace,
            user_id=voter.user_id,
            tool_id=tool_id,
        )
        .on_conflict_do_nothing()
    )
    return True


async def bookmarked_tools(session: AsyncSession, voter: Voter) -> list[Tool]:
    result = await session.scalars(
        select(Tool)
        .join(Bookmark, Bookmark.tool_id == Tool.id)
        .join(Identity, Identity.person_id == Bookmark.person_id)
        .where(Identity.kind == voter.identity.kind, Identity.key == voter.identity.key)
        .order_by(Bookmark.created_at, Bookmark.id)
    )
    return list(result.all())
