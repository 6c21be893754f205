"""The PostgreSQL the tests need: reachable, or the run fails with a clear message."""

from __future__ import annotations

import os
import uuid

import asyncpg

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("TEST_PG_DATABASE", "test")

UNREACHABLE = (
    f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (user {PG_USER}, database "
    f"{PG_ADMIN_DB}). The suite runs every database test on SQLite and PostgreSQL and "
    "never skips them. Start it with: "
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def admin_connection() -> asyncpg.Connection:
    return await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB, timeout=5
    )


async def check_reachable() -> None:
    try:
        connection = await admin_connection()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise RuntimeError(f"{UNREACHABLE} ({exc})") from exc
    await connection.close()


async def create_database() -> str:
    """A new empty database for this test run; returns its name."""
    name = f"sos_test_{uuid.uuid4().hex[:12]}"
    connection = await admin_connection()
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_database(name: str) -> None:
    connection = await admin_connection()
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def create_schema(database: str) -> str:
    name = f"s_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=database, timeout=5
    )
    try:
        await connection.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await connection.close()
    return name
