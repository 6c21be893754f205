"""Read catalog YAML and report every problem with file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from db.catalog.schema import Catalog, CatalogFile, CriticEntry, ToolEntry

MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class CatalogError(Exception):
    """Every problem found; nothing was applied."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def catalog_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def read_catalog(path: Path) -> Catalog:
    """Parse and validate a file or a folder of files; raise CatalogError listing all problems."""
    problems: list[CatalogProblem] = []
    files = catalog_files(path)
    if not files:
        raise CatalogError([CatalogProblem(str(path), 0, "", "no .yaml files found")])
    critics: list[tuple[CriticEntry, str, int]] = []
    tools: list[tuple[ToolEntry, str, int, Any]] = []
    for file in files:
        parsed = _read_file(file, problems)
        if parsed is None:
            continue
        document, model = parsed
        for index, critic in enumerate(model.critics):
            critics.append((critic, str(file), _line(document, ("critics", index))))
        for index, tool in enumerate(model.tools):
            node = document["tools"][index]
            tools.append((tool, str(file), _line(document, ("tools", index)), node))
    problems.extend(_cross_checks(critics, tools))
    if problems:
        raise CatalogError(problems)
    return Catalog(critics=tuple(c for c, _, _ in critics), tools=tuple(t for t, *_ in tools))


def _read_file(file: Path, problems: list[CatalogProblem]) -> tuple[Any, CatalogFile] | None:
    name = str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        problems.append(CatalogProblem(name, 0, "", f"cannot read file: {exc.strerror}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(CatalogProblem(name, 0, "", "file is larger than 5 MB"))
        return None
    try:
        document = YAML(typ="rt").load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(CatalogProblem(name, 0, "", "file is not UTF-8 text"))
        return None
    except MarkedYAMLError as exc:
        # The context mark is where the broken construct opened (an unclosed bracket),
        # which is where a person has to look; the problem mark may be the end of file.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else 0
        context = f" ({exc.context})" if exc.context else ""
        problems.append(CatalogProblem(name, line, "", f"invalid YAML: {exc.problem}{context}"))
        return None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, dict):
        problems.append(CatalogProblem(name, 1, "", "expected a mapping with critics: and tools:"))
        return None
    try:
        return document, CatalogFile.model_validate(_plain(document))
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(
                CatalogProblem(name, _line(document, loc), _field(document, loc), error["msg"])
            )
        return None


def _cross_checks(
    critics: list[tuple[CriticEntry, str, int]], tools: list[tuple[ToolEntry, str, int, Any]]
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    critic_slugs: dict[str, tuple[str, int]] = {}
    for critic, file, line in critics:
        if critic.slug in critic_slugs:
            first = critic_slugs[critic.slug]
            problems.append(
                CatalogProblem(
                    file,
                    line,
                    "slug",
                    f"duplicate critic {critic.slug!r} (first at {first[0]}:{first[1]})",
                )
            )
        critic_slugs.setdefault(critic.slug, (file, line))
    tool_slugs: dict[str, tuple[str, int]] = {}
    for tool, file, line, node in tools:
        if tool.slug in tool_slugs:
            first = tool_slugs[tool.slug]
            problems.append(
                CatalogProblem(
                    file,
                    line,
                    "slug",
                    f"duplicate tool {tool.slug!r} (first at {first[0]}:{first[1]})",
                )
            )
        tool_slugs.setdefault(tool.slug, (file, line))
        for critic_slug, review in tool.reviews.items():
            where = _line(node, ("reviews", critic_slug))
            field = f"tools[{tool.slug}].reviews.{critic_slug}"
            if critic_slug not in critic_slugs:
                problems.append(CatalogProblem(file, where, field, "unknown critic"))
            elif review.reviewed < tool.added:
                problems.append(
                    CatalogProblem(file, where, field + ".reviewed", "is before the tool was added")
                )
    return problems


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes to plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line(document: Any, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest node of ``loc`` that exists in the document."""
    node, line = document, 1
    if isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
        line = node.lc.line + 1
    for key in loc:
        try:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


def _field(document: Any, loc: tuple[Any, ...]) -> str:
    """A readable field path: ``tools[claude-4-sonnet].reviews.builder.score``."""
    parts: list[str] = []
    node = document
    for key in loc:
        if isinstance(key, int):
            slug = (
                node[key].get("slug")
                if isinstance(node, list) and key < len(node) and isinstance(node[key], dict)
                else None
            )
            parts[-1:] = [f"{parts[-1] if parts else ''}[{slug or key}]"]
        else:
            parts.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)
