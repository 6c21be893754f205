"""SQL lives in db/: bot/ and digest/ build no statements and execute none.

Read from the source (AST), so the test needs no database and names the line to move.
Type and error imports (``AsyncSession``, ``sqlalchemy.exc``, ``make_url``) stay allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("bot", "digest")
# Statement builders and SQL expression helpers; anything here means a query is being built.
BUILDERS = frozenset(
    {
        "select",
        "insert",
        "update",
        "delete",
        "text",
        "func",
        "union",
        "union_all",
        "exists",
        "case",
        "and_",
        "or_",
        "not_",
        "literal",
        "literal_column",
        "column",
        "table",
        "bindparam",
        "selectinload",
        "joinedload",
    }
)
# Modules whose every import is about building SQL; from sqlalchemy and sqlalchemy.orm
# only the builders (BUILDERS) are refused, so types such as ``Session`` may stay.
BUILDER_MODULES = ("sqlalchemy.sql", "sqlalchemy.dialects")
# Calls that run SQL on a session or connection.
EXECUTORS = frozenset(
    {"execute", "scalar", "scalars", "exec_driver_sql", "stream", "stream_scalars"}
)


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root).as_posix()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if module in ("sqlalchemy", "sqlalchemy.orm") or module.startswith(BUILDER_MODULES):
                for alias in node.names:
                    if alias.name in BUILDERS or module.startswith(BUILDER_MODULES):
                        found.append(
                            f"{where}:{node.lineno}: imports {alias.name} from {module}; "
                            "build statements in db/queries/"
                        )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith(BUILDER_MODULES):
                    found.append(f"{where}:{node.lineno}: imports {alias.name}; use db/queries/")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in EXECUTORS
            and _looks_like_session(node.func.value)
        ):
            found.append(
                f"{where}:{node.lineno}: calls .{node.func.attr}() on a session or connection; "
                "move the query to db/queries/"
            )
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def _looks_like_session(target: ast.expr) -> bool:
    """``session.execute``, ``self.session.scalar``, ``conn.execute``… by the receiver's name."""
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return any(word in name.lower() for word in ("session", "conn", "liveness", "engine", "_pg"))


def _python_files() -> list[Path]:
    return sorted(p for top in CHECKED for p in (ROOT / top).rglob("*.py"))


def test_bot_and_digest_build_and_run_no_sql() -> None:
    """Every statement is in db/queries; the message names each file and line that is not."""
    problems = [line for path in _python_files() for line in _violations(path)]
    assert not problems, "SQL outside db/:\n" + "\n".join(problems)


def test_the_check_catches_a_statement(tmp_path: Path) -> None:
    """The scanner flags an imported builder and a session call, and passes type imports."""
    sample = tmp_path / "bot" / "_sql_boundary_sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "from sqlalchemy import select\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "async def f(session: AsyncSession) -> None:\n"
        "    await session.execute(select(1))\n",
        encoding="utf-8",
    )
    problems = _violations(sample, tmp_path)
    assert problems == [
        "bot/_sql_boundary_sample.py:1: imports select from sqlalchemy; build statements in "
        "db/queries/",
        "bot/_sql_boundary_sample.py:5: calls .execute() on a session or connection; "
        "move the query to db/queries/",
    ]
