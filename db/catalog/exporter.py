"""Write the catalog back in the format the importer reads."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from db.engine import Database
from db.models import Critic, Review, Tool

HEADER = "# Ship or Skip catalog, written by `shiporskip catalog export`.\n"


async def export_catalog(database: Database, path: Path) -> list[Path]:
    """Write one file (``*.yaml``) or a folder with critics.yaml and tools-<category>.yaml."""
    async with database.read() as session:
        critics = (await session.scalars(select(Critic).order_by(Critic.position))).all()
        tools = (
            await session.scalars(
                select(Tool)
                .options(selectinload(Tool.reviews).selectinload(Review.critic))
                .order_by(Tool.category, Tool.added, Tool.slug)
            )
        ).all()
    critic_docs = [_critic(c) for c in critics]
    order = {c.id: c.position for c in critics}
    tool_docs = [(t.category, _tool(t, order)) for t in tools]
    files: dict[Path, str] = {}
    if path.suffix in (".yaml", ".yml"):
        files[path] = HEADER + dump({"critics": critic_docs, "tools": [d for _, d in tool_docs]})
    else:
        files[path / "critics.yaml"] = HEADER + dump({"critics": critic_docs})
        by_category: dict[str, list[dict[str, Any]]] = {}
        for category, doc in tool_docs:
            by_category.setdefault(category, []).append(doc)
        for category, docs in by_category.items():
            files[path / f"tools-{_slugify(category)}.yaml"] = HEADER + dump({"tools": docs})
    await asyncio.to_thread(_write_all, files)
    return list(files)


def _write_all(files: dict[Path, str]) -> None:
    for file, text in files.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")


def dump(document: dict[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "other"


def _critic(critic: Critic) -> dict[str, Any]:
    return {"slug": critic.slug, "name": critic.name, "persona": critic.persona, "bio": critic.bio}


def _tool(tool: Tool, critic_order: dict[int, int]) -> dict[str, Any]:
    reviews = sorted(tool.reviews, key=lambda r: critic_order.get(r.critic_id, 0))
    return {
        "slug": tool.slug,
        "name": tool.name,
        "aliases": list(tool.aliases),
        "category": tool.category,
        "best_for": tool.best_for,
        "description": tool.description,
        "pricing": tool.pricing,
        "entry_price": tool.entry_price,
        "vendor": tool.vendor,
        "url": tool.url,
        "added": tool.added,
        "reviews": {
            r.critic.slug: {
                "score": r.score,
                "verdict": r.verdict,
                "reviewed": r.reviewed,
                "text": r.text,
            }
            for r in reviews
        },
    }
