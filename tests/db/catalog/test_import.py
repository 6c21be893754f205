"""Catalog import: validate everything first, report file:line, apply all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import DEMO_CATALOG
from db.catalog import CatalogError, import_catalog, read_catalog
from db.catalog.exporter import export_catalog
from db.engine import Database
from db.models import Review, ReviewVersion, Tool

CRITICS = """\
critics:
  - slug: builder
    name: Builder
  - slug: skeptic
    name: Skeptic
"""

TOOL = """\
tools:
  - slug: alpha
    name: Alpha
    category: Models
    added: 2026-01-01
    reviews:
      builder:
        score: 80
        verdict: ship
        reviewed: 2026-01-02
        text: Solid.
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


async def counts(database: Database) -> tuple[int, int]:
    async with database.read() as session:
        tools = await session.scalar(select(func.count(Tool.id)))
        reviews = await session.scalar(select(func.count(Review.id)))
    return int(tools or 0), int(reviews or 0)


def test_demo_catalog_is_valid_and_broad():
    """The sample catalog: 4 critics, 30+ tools over 8+ categories, every critic reviews each."""
    catalog = read_catalog(DEMO_CATALOG)
    assert [c.slug for c in catalog.critics] == ["builder", "skeptic", "futurist", "founder"]
    assert len(catalog.tools) >= 32
    assert len({t.category for t in catalog.tools}) >= 8
    assert all(
        set(t.reviews) == {"builder", "skeptic", "futurist", "founder"} for t in catalog.tools
    )


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("tools:\n  - slug: alpha\n    name: [unclosed\n", "catalog.yaml:3: invalid YAML"),
        (
            TOOL.replace("score: 80", "score: 140"),
            "catalog.yaml:8: tools[alpha].reviews.builder.score: Input should be less than or equal to 100",
        ),
        (
            TOOL.replace("builder:", "critic9:"),
            "catalog.yaml:7: tools[alpha].reviews.critic9: unknown critic",
        ),
        (TOOL + TOOL.removeprefix("tools:\n"), "catalog.yaml:12: slug: duplicate tool 'alpha'"),
        (
            TOOL.replace("verdict: ship", "verdict: maybe"),
            "catalog.yaml:9: tools[alpha].reviews.builder.verdict",
        ),
        (
            TOOL.replace("category: Models", "categroy: Models"),
            "catalog.yaml:2: tools[alpha].category: Field required",
        ),
        (TOOL.replace("slug: alpha", "slug: Alpha Tool"), "catalog.yaml:2: tools[Alpha Tool].slug"),
    ],
    ids=[
        "bad-yaml",
        "score-140",
        "unknown-critic",
        "duplicate-slug",
        "bad-verdict",
        "typo-key",
        "bad-slug",
    ],
)
async def test_broken_catalog_reports_line_and_changes_nothing(
    database: Database, tmp_path: Path, broken: str, expected: str
):
    await import_catalog(database, write(tmp_path / "good", critics=CRITICS, catalog=TOOL))
    before = await counts(database)
    folder = write(tmp_path / "bad", critics=CRITICS, catalog=broken)
    with pytest.raises(CatalogError) as info:
        await import_catalog(database, folder)
    text = str(info.value)
    assert expected in text.replace(str(folder) + "/", "")
    assert await counts(database) == before


async def test_every_problem_is_reported_at_once(tmp_path: Path):
    broken = TOOL.replace("score: 80", "score: -1").replace("builder:", "nobody:")
    folder = write(tmp_path, critics=CRITICS, catalog=broken, other="tools: 5\n")
    with pytest.raises(CatalogError) as info:
        read_catalog(folder)
    reported = {(Path(p.path).name, p.field) for p in info.value.problems}
    assert ("catalog.yaml", "tools[alpha].reviews.nobody.score") in reported
    assert ("other.yaml", "tools") in reported


async def test_reimport_upserts_and_keeps_review_history(database: Database, tmp_path: Path):
    """Importing again updates by slug; a changed review keeps its earlier version."""
    folder = write(tmp_path, critics=CRITICS, catalog=TOOL)
    await import_catalog(database, folder)
    write(tmp_path, catalog=TOOL.replace("score: 80", "score: 40").replace("ship", "skip"))
    summary = await import_catalog(database, folder)
    assert summary.reviews_changed == 1 and summary.tools_added == 0
    async with database.read() as session:
        review = (await session.scalars(select(Review))).one()
        history = (await session.scalars(select(ReviewVersion))).all()
    assert (review.score, review.verdict) == (40, "skip")
    assert [(h.score, h.verdict) for h in history] == [(80, "ship")]


async def test_prune_removes_tools_missing_from_files(database: Database, tmp_path: Path):
    second = TOOL.replace("alpha", "beta").replace("Alpha", "Beta").removeprefix("tools:\n")
    folder = write(tmp_path, critics=CRITICS, catalog=TOOL + second)
    await import_catalog(database, folder)
    write(tmp_path, catalog=TOOL)
    await import_catalog(database, folder)
    assert (await counts(database))[0] == 2
    summary = await import_catalog(database, folder, prune=True)
    assert summary.tools_removed == 1 and (await counts(database))[0] == 1


async def test_export_then_import_round_trips(demo_database: Database, db_target, tmp_path: Path):
    """Export, import into a fresh database, export again: identical files."""
    first = await export_catalog(demo_database, tmp_path / "one")
    fresh_target = (
        type(db_target)(db_target.backend, db_target.url.replace("test.db", "two.db"), None)
        if db_target.backend == "sqlite"
        else None
    )
    if fresh_target is None:
        # On PostgreSQL the same schema is reused after clearing the catalog.
        async with demo_database.write() as session:
            await session.execute(Tool.__table__.delete())
        other = demo_database
    else:
        from db.migrate import upgrade

        other = fresh_target.open()
        await upgrade(other)
    await import_catalog(other, tmp_path / "one")
    second = await export_catalog(other, tmp_path / "two")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_text() == b.read_text(), a.name
    exported, demo = read_catalog(tmp_path / "one"), read_catalog(DEMO_CATALOG)
    assert exported.critics == demo.critics
    assert sorted(exported.tools, key=lambda t: t.slug) == sorted(demo.tools, key=lambda t: t.slug)
    if other is not demo_database:
        await other.dispose()


def test_single_file_export_format_is_readable(tmp_path: Path):
    shutil.copytree(DEMO_CATALOG, tmp_path / "demo")
    assert len(read_catalog(tmp_path / "demo").tools) >= 32
