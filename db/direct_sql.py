"""Hot-path statements that skip SQLAlchemy's execution machinery.

A small statement on SQLite takes about 30 µs in the driver and about 110 µs more in
SQLAlchemy's execution context (compiled-cache look-up, parameter processing, result
set-up), so a vote's five statements cost several times the work SQLite does. These
run on the DBAPI cursor of the connection the transaction already holds: sqlite3's,
or SQLAlchemy's asyncpg adapter's, which keeps asyncpg's prepared statements and the
transaction SQLAlchemy began. The SQL is written once, for both.

Parameters are named (``:name``). A list value is a list for ``IN :name``: on SQLite
rendered as SQLAlchemy renders an expanding parameter, on PostgreSQL sent as one array
(``= ANY($n)``), so the statement text, and its prepared statement, stay the same
whatever the list's length. Datetimes are stored in SQLAlchemy's SQLite format, so rows
written here and through the ORM compare as equals. Other databases, and statements
given ``elsewhere``, go through SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Executable, bindparam, text
from sqlalchemy.exc import DBAPIError, StatementError

Params = Mapping[str, Any]
# A named parameter (not a PostgreSQL ``::type`` cast).
_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)\b")


class Statement:
    """One SQL text; ``lists`` names the parameters that are lists for ``IN``.

    ``elsewhere``: the statement for other databases, when the SQL can't serve both (a
    typed parameter, say, which SQLite's CAST would turn into a number).
    """

    def __init__(
        self, sql: str, *, lists: Sequence[str] = (), elsewhere: Executable | None = None
    ) -> None:
        self.sql = sql
        self.lists = tuple(lists)
        clause: Executable
        if elsewhere is not None:
            clause = elsewhere
        else:
            clause = text(sql)
            if self.lists:
                clause = clause.bindparams(*(bindparam(name, expanding=True) for name in lists))
        self.clause = clause
        # A statement with its own form elsewhere runs that form, through SQLAlchemy.
        self._has_elsewhere = elsewhere is not None
        self._patterns = {name: re.compile(rf":{name}\b") for name in self.lists}
        # PostgreSQL through asyncpg: $1, $2... in order of first use; lists as arrays.
        pg = sql
        for name in self.lists:
            pg = re.sub(rf"\bIN\s+:{name}\b", f"= ANY(:{name})", pg)
        self._pg_names: list[str] = []
        self._pg_sql = _NAME.sub(self._pg_number, pg)

    def _pg_number(self, found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in self._pg_names:
            self._pg_names.append(name)
        return f"${self._pg_names.index(name) + 1}"

    def _driver(self, connection: Connection) -> str | None:
        """Which driver path serves ``connection`` (None: SQLAlchemy)."""
        dialect = connection.dialect
        if dialect.name == "sqlite":
            return "sqlite"
        if dialect.name == "postgresql" and dialect.driver == "asyncpg" and not self._has_elsewhere:
            return "postgresql"
        return None

    def rows(self, connection: Connection, params: Params | None = None) -> list[Sequence[Any]]:
        """Every row of the result (RETURNING or SELECT)."""
        params = params or {}
        driver = self._driver(connection)
        if driver is None:
            return list(connection.execute(self.clause, dict(params)).all())
        sql, values = self._for(driver, params)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, values)
            return list(cursor.fetchall())
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy(connection, cursor, sql, values, exc) from exc
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Params | None = None) -> Sequence[Any] | None:
        found = self.rows(connection, params)
        return found[0] if found else None

    def each(self, connection: Connection, rows: Sequence[Params]) -> list[Sequence[Any]]:
        """The statement once per row, in order, and every row each one returned.

        For an INSERT ... RETURNING of many rows: on a driver's cursor, one execute per row
        (SQLite returns a multi-row RETURNING in no set order); ``elsewhere``, when given,
        as one executemany, which SQLAlchemy sends as one multi-row statement in order.
        """
        if not rows:
            return []
        driver = self._driver(connection)
        if driver is None:
            if self._has_elsewhere:
                return list(connection.execute(self.clause, [dict(r) for r in rows]).all())
            return [row for r in rows for row in connection.execute(self.clause, dict(r)).all()]
        assert not self.lists, "each takes no list parameters"
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        found: list[Sequence[Any]] = []
        sql, values = self.sql, None
        try:
            for row in rows:
                sql, values = self._for(driver, row)
                cursor.execute(sql, values)
                found.extend(cursor.fetchall())
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy(connection, cursor, sql, values, exc) from exc
        finally:
            cursor.close()
        return found

    def many(self, connection: Connection, rows: Sequence[Params]) -> None:
        """The statement once per row, as one executemany (no RETURNING)."""
        if not rows:
            return
        driver = self._driver(connection)
        if driver is None:
            connection.execute(self.clause, [dict(r) for r in rows])
            return
        assert not self.lists, "executemany takes no list parameters"
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = self.sql if driver == "sqlite" else self._pg_sql
        values = [self._for(driver, r)[1] for r in rows]
        try:
            cursor.executemany(sql, values)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy(connection, cursor, sql, values, exc) from exc
        finally:
            cursor.close()

    def _for(self, driver: str, params: Params) -> tuple[str, Any]:
        """The SQL and the values to hand ``driver``'s cursor."""
        if driver == "sqlite":
            return self._for_sqlite(params)
        # asyncpg takes datetimes and lists (as arrays) as they are.
        return self._pg_sql, tuple(params[name] for name in self._pg_names)

    def _for_sqlite(self, params: Params) -> tuple[str, dict[str, Any]]:
        values = _sqlite_values(params)
        sql = self.sql
        for name in self.lists:
            items = list(values.pop(name))
            names = [f"{name}_{i}" for i in range(len(items))]
            # An empty list matches nothing, as SQLAlchemy renders it.
            rendered = "(" + ", ".join(f":{n}" for n in names) + ")" if items else "(NULL)"
            sql = self._patterns[name].sub(rendered, sql)
            values.update(zip(names, items, strict=True))
        return sql, values


def _as_sqlalchemy(
    connection: Connection, cursor: Any, sql: str, params: Any, exc: Exception
) -> StatementError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...), so
    callers handle one family of exceptions whichever way the statement ran.

    A lost connection is marked as SQLAlchemy marks it (``connection_invalidated``, and the
    connection invalidated so the pool drops it): callers answer "the database is not
    answering" for it (bot.core.guard.database_down) rather than fail.
    """
    dialect = connection.dialect
    lost = dialect.is_disconnect(cast(Any, exc), connection.connection.dbapi_connection, cursor)
    error = DBAPIError.instance(
        sql,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
    if lost:
        connection.invalidate(error)
    return error


def _sqlite_values(params: Params) -> dict[str, Any]:
    return {
        key: _sqlite_datetime(value) if isinstance(value, datetime) else value
        for key, value in params.items()
    }


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text: the wall time, microseconds always, no zone
    (its format, '%Y-%m-%d %H:%M:%S.%f'; isoformat writes it in a third of strftime's time)."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
