"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is required: when it is unreachable the run stops with a clear message
instead of skipping the tests that need it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from bot.bootstrap import DEMO_CATALOG
from bot.core.context import CommandContext
from bot.core.service import CommandService
from db.catalog import import_catalog
from db.engine import Database
from db.migrate import upgrade
from tests import postgres

BACKENDS = ("sqlite", "postgresql")

# CI runs the same examples every time (a red run must be reproducible); locally each run
# explores new ones. Either way failures print the example that broke.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# slack_sdk honours HTTP(S)_PROXY but not NO_PROXY; tests talk to loopback only.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a test's database lives: a URL (and, on PostgreSQL, a private schema)."""

    backend: str
    url: str
    schema: str | None = None

    def open(self) -> Database:
        return Database(self.url, schema=self.schema)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One throwaway PostgreSQL database per test run; each test gets its own schema in it."""
    try:
        asyncio.run(postgres.check_reachable())
    except RuntimeError as exc:
        pytest.exit(str(exc), returncode=3)
    name = asyncio.run(postgres.create_database())
    yield name
    asyncio.run(postgres.drop_database(name))


@pytest.fixture(params=BACKENDS)
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    if request.param == "sqlite":
        return DatabaseTarget("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    name = request.getfixturevalue("pg_database")
    schema = asyncio.run(postgres.create_schema(name))
    return DatabaseTarget("postgresql", postgres.pg_url(name), schema)


@pytest.fixture
async def database(db_target: DatabaseTarget) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    db = db_target.open()
    await upgrade(db)
    yield db
    await db.dispose()


@pytest.fixture
async def demo_database(database: Database) -> Database:
    """The migrated database with the sample catalog loaded."""
    await import_catalog(database, DEMO_CATALOG)
    return database


@pytest.fixture
def service(demo_database: Database) -> CommandService:
    return CommandService(demo_database)


@pytest.fixture
def ctx() -> CommandContext:
    return CommandContext(platform="console", workspace="w1", user_id="u1", user_name="Ada")


@pytest.fixture
def process_url(db_target: DatabaseTarget) -> Iterator[str]:
    """A database URL a separate process can use on its own (PostgreSQL: a fresh database)."""
    if db_target.backend == "sqlite":
        yield db_target.url
        return
    name = asyncio.run(postgres.create_database())
    yield postgres.pg_url(name)
    asyncio.run(postgres.drop_database(name))
