"""The digest snapshot as a type: what one issue says, stored as JSON, read everywhere.

The email (HTML and text), the web archive and the chat posts all read a
``DigestSnapshot``; Jinja reaches its fields as attributes. The stored JSON keeps the
shape it had when it was a plain dict (``version`` 1), so every issue ever stored
still loads; a newer shape must raise ``version`` and teach ``from_json`` the old one.
Version 2 added ``people`` to comparisons (distinct people, not requests).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

SNAPSHOT_VERSION = 2


class SnapshotVersionError(ValueError):
    """A stored snapshot written by a newer release than this one."""


_Entry = TypeVar("_Entry")


def _load(cls: type[_Entry], data: dict[str, Any]) -> _Entry:
    """One entry from its JSON object; a missing field is a broken snapshot."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    missing = [name for name in names if name not in data]
    if missing:
        raise ValueError(f"{cls.__name__} in the snapshot lacks {', '.join(missing)}")
    return cls(**{name: data[name] for name in names})


def asked_by(people: int) -> str:
    """'asked by 1 person', 'asked by 3 people': how the digest counts a crowd."""
    return f"asked by {people} {'person' if people == 1 else 'people'}"


def _dump(entry: Any) -> dict[str, Any]:
    return {f.name: getattr(entry, f.name) for f in fields(entry)}


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """A tool the panel reviewed this week, as its card showed it then."""

    slug: str
    name: str
    category: str
    best_for: str
    url: str
    verdict: str  # "ship", "skip", "split" or "none"
    verdict_label: str
    ship: int
    skip: int
    ship_pct: int | None
    score_min: float | None
    score_max: float | None
    score_avg: float | None
    community: str
    community_pct: int | None


@dataclass(frozen=True, slots=True)
class Comparison:
    first: str
    second: str
    first_slug: str
    second_slug: str
    requests: int
    decision: str
    first_panel: str
    second_panel: str
    # Distinct people who asked; None in issues stored before people were counted (v1).
    people: int | None

    @property
    def asked_by(self) -> str:
        return f"asked {self.requests}×" if self.people is None else asked_by(self.people)


@dataclass(frozen=True, slots=True)
class Pick:
    """A most shipped or most skipped tool: its votes this week."""

    name: str
    slug: str
    ship: int
    skip: int
    community: str


@dataclass(frozen=True, slots=True)
class Mover:
    """A tool whose community ship % moved over the week."""

    name: str
    slug: str
    before_pct: int
    after_pct: int
    delta: int
    votes: int


@dataclass(frozen=True, slots=True)
class VerdictChange:
    name: str
    slug: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Asked:
    """A name several people tried to compare that the catalog lacks."""

    name: str
    requests: int
    people: int

    @property
    def asked_by(self) -> str:
        return asked_by(self.people)


@dataclass(frozen=True, slots=True)
class DigestSnapshot:
    version: int
    week: str
    title: str
    built_at: str  # ISO 8601, seconds
    new_verdicts: tuple[ToolEntry, ...]
    new_verdicts_more: int
    comparisons: tuple[Comparison, ...]
    most_shipped: tuple[Pick, ...]
    most_skipped: tuple[Pick, ...]
    movers: tuple[Mover, ...]
    verdict_changes: tuple[VerdictChange, ...]
    asked_about: tuple[Asked, ...]
    empty: bool
    top_story: str

    @property
    def subject(self) -> str:
        """The lead story in plain words: no week code, no brand (the From name has it)."""
        return self.top_story

    def to_json(self) -> dict[str, Any]:
        """The stored form: plain JSON, the same keys the dict snapshot had."""
        return {
            "version": self.version,
            "week": self.week,
            "title": self.title,
            "built_at": self.built_at,
            "new_verdicts": [_dump(t) for t in self.new_verdicts],
            "new_verdicts_more": self.new_verdicts_more,
            # A v1 comparison has no people count and is written back without one.
            "comparisons": [
                {k: v for k, v in _dump(c).items() if k != "people" or v is not None}
                for c in self.comparisons
            ],
            "most_shipped": [_dump(p) for p in self.most_shipped],
            "most_skipped": [_dump(p) for p in self.most_skipped],
            "movers": [_dump(m) for m in self.movers],
            "verdict_changes": [_dump(c) for c in self.verdict_changes],
            "asked_about": [_dump(a) for a in self.asked_about],
            "empty": self.empty,
            "top_story": self.top_story,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DigestSnapshot:
        """Read a stored snapshot of any version this release knows."""
        version = int(data.get("version", 1))
        if version > SNAPSHOT_VERSION:
            raise SnapshotVersionError(
                f"snapshot version {version} is newer than this release reads "
                f"({SNAPSHOT_VERSION}); upgrade shiporskip"
            )
        return cls(
            version=version,
            week=str(data["week"]),
            title=str(data["title"]),
            built_at=str(data["built_at"]),
            new_verdicts=tuple(_load(ToolEntry, t) for t in data["new_verdicts"]),
            new_verdicts_more=int(data["new_verdicts_more"]),
            comparisons=tuple(
                # v1 counted requests only: its comparisons say "asked N×" as they did.
                _load(Comparison, {"people": None, **c} if version < 2 else c)
                for c in data["comparisons"]
            ),
            most_shipped=tuple(_load(Pick, p) for p in data["most_shipped"]),
            most_skipped=tuple(_load(Pick, p) for p in data["most_skipped"]),
            movers=tuple(_load(Mover, m) for m in data["movers"]),
            verdict_changes=tuple(_load(VerdictChange, c) for c in data["verdict_changes"]),
            asked_about=tuple(_load(Asked, a) for a in data["asked_about"]),
            empty=bool(data["empty"]),
            top_story=str(data["top_story"]),
        )
