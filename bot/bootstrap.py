"""Getting the database ready: migrate, then load a catalog if there is none."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from db.catalog import import_catalog
from db.engine import Database
from db.queries.tools import is_catalog_empty
from db.schema_version import at_head

log = logging.getLogger(__name__)
# Package data of ``db``, found the same way from a wheel as from the checkout. Setuptools
# installs packages as plain folders, so the traversable is a real directory.
DEMO_CATALOG = Path(str(resources.files("db") / "demo_catalog"))


async def prepare_database(
    url: str, *, catalog_path: Path | None = None, demo: bool = True
) -> Database:
    """Open the database, apply migrations, and load the catalog.

    ``catalog_path`` (CATALOG_PATH) is imported at every start so edits take effect;
    otherwise the sample catalog is loaded once, into an empty database, unless ``demo`` is off.
    """
    database = Database(url)
    try:
        if not await at_head(database):
            # Imported only when there is something to migrate (see db.schema_version).
            from db.migrate import upgrade

            await upgrade(database)
        if catalog_path is not None:
            summary = await import_catalog(database, catalog_path)
            log.info("catalog %s imported: %s", catalog_path, summary)
        elif demo:
            async with database.read() as session:
                empty = await is_catalog_empty(session)
            if empty:
                summary = await import_catalog(database, DEMO_CATALOG)
                log.info("database was empty; loaded the sample catalog: %s", summary)
    except BaseException:
        await database.dispose()
        raise
    return database
