"""The migrations and the models describe the same schema, on both backends.

A model changed without a migration (or the reverse) would work in tests that build
tables one way and fail in production built the other; Alembic's own comparison
catches it here.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from db.engine import Database
from db.migrate import current_revision
from db.schema import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_match_the_models(database: Database) -> None:
    assert await current_revision(database) is not None
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
