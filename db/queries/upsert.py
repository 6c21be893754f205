"""The one place that knows SQLite and PostgreSQL spell insert-on-conflict differently.

Both dialects accept the same ``ON CONFLICT`` clause, but SQLAlchemy builds it from
two different ``insert`` constructs; every upsert in db/queries goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def dialect_of(session: AsyncSession) -> str:
    """The dialect name behind ``session`` ("sqlite" or "postgresql")."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def insert_on_conflict(
    dialect: str,
    model: type[DeclarativeBase],
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    only_if_changed: Sequence[str] = (),
) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING``, or ``DO UPDATE`` the ``update`` columns.

    ``update`` columns take the incoming (excluded) value. With ``only_if_changed`` the
    update happens only when one of those columns differs, so an unchanged row is not
    rewritten and ``RETURNING`` leaves it out. Returns the statement (add ``.returning``).
    With ``values`` None the rows come at execution (``execute(statement, rows)``): one
    statement to build and compile once, sent as multi-row VALUES (insertmanyvalues).
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model)
    if values is not None:
        statement = statement.values(values if isinstance(values, Mapping) else list(values))
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(conflict))
    excluded = statement.excluded
    table = model.__table__
    where = None
    for column in only_if_changed:
        differs = table.c[column] != excluded[column]
        where = differs if where is None else where | differs
    return statement.on_conflict_do_update(
        index_elements=list(conflict),
        set_={column: excluded[column] for column in update},
        where=where,
    )
