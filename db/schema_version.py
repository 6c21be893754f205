"""The schema revision this code expects, checked without importing Alembic.

Alembic (with Mako) costs a process about 11 MB that it keeps for good, and a long-running
``shiporskip run`` needs it only when the schema is behind. A start on a database already
at ``HEAD`` reads one row and leaves Alembic unloaded. ``HEAD`` must be the newest
migration's revision: tests/db/test_schema_version.py fails when a migration is added
without it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import Database

HEAD = "0008"
_VERSIONS = text("SELECT version_num FROM alembic_version")


async def at_head(database: Database) -> bool:
    """True when the database records exactly ``HEAD`` (False too when it has no schema)."""
    try:
        async with database.engine.connect() as connection:
            versions = {row[0] for row in await connection.execute(_VERSIONS)}
    except DBAPIError:
        return False  # no alembic_version table yet: a new database
    return versions == {HEAD}
