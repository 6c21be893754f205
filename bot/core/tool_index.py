"""Find tools by name, slug or alias, forgiving case and typos (rapidfuzz).

The index lives in memory so autocomplete answers in well under a millisecond
over thousands of tools; it reloads when the catalog's stamp changes.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from db.engine import Database
from db.queries.tools import CatalogStamp, ToolName, catalog_stamp, tool_names

ACCEPT_SCORE = 86.0
SUGGEST_SCORE = 68.0
AMBIGUITY_MARGIN = 4.0
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Case-folded words without punctuation, accents or invisible characters."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", kept.casefold()).split())


@dataclass(frozen=True, slots=True)
class Found:
    tool: ToolName


@dataclass(frozen=True, slots=True)
class NotFound:
    query: str
    suggestions: tuple[ToolName, ...]


class ToolIndex:
    """Name lookup over the catalog; call ``refresh`` to pick up catalog changes."""

    def __init__(self, tools: Iterable[ToolName] = (), *, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._stamp: CatalogStamp | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        # Bumped on every reload, so caches built from the catalog know they are stale.
        self.generation = 0
        self._load(tools)

    def _load(self, tools: Iterable[ToolName]) -> None:
        self.tools = sorted(tools, key=lambda t: t.name.casefold())
        self.by_slug = {t.slug: t for t in self.tools}
        keys: dict[str, ToolName] = {}
        for tool in self.tools:
            for raw in (tool.name, tool.slug, *tool.aliases):
                key = normalize(raw)
                if key:
                    keys.setdefault(key, tool)
        self._exact = keys
        self._keys = list(keys)
        self._key_tools = [keys[k] for k in self._keys]
        self._sorted_keys = sorted(keys)
        self._names = [normalize(t.name) for t in self.tools]
        self.by_id = {t.id: t for t in self.tools}
        # Names joined by a newline so one regex scan finds word matches; _starts maps back.
        self._starts: list[int] = []
        offset = 0
        for name in self._names:
            self._starts.append(offset)
            offset += len(name) + 1
        self._joined = "\n".join(self._names)
        self._opening_cache: dict[int, list[str]] = {}

    async def refresh(self, database: Database, *, force: bool = False) -> None:
        """Reload names if the catalog changed; checks at most every ``max_age_s``.

        Concurrent callers share one reload; none of them sees a half-loaded index.
        """
        if not force and self._fresh():
            return
        async with self._lock:
            if not force and self._fresh():
                return
            async with database.read() as session:
                stamp = await catalog_stamp(session)
                if stamp != self._stamp or force:
                    self._load(await tool_names(session))
                    self._stamp = stamp
                    self.generation += 1
            self._checked_at = time.monotonic()

    def _fresh(self) -> bool:
        return self._stamp is not None and time.monotonic() - self._checked_at < self.max_age_s

    def resolve(self, query: str) -> Found | NotFound:
        key = normalize(query)
        if not key:
            return NotFound(query, ())
        exact = self._exact.get(key)
        if exact is not None:
            return Found(exact)
        matches = process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=8, score_cutoff=SUGGEST_SCORE
        )
        ranked: list[tuple[ToolName, float]] = []
        for _, score, position in matches:
            tool = self._key_tools[position]
            if all(tool.slug != seen.slug for seen, _ in ranked):
                ranked.append((tool, score))
        if ranked and ranked[0][1] >= ACCEPT_SCORE:
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if ranked[0][1] - runner_up >= AMBIGUITY_MARGIN:
                return Found(ranked[0][0])
        return NotFound(query, tuple(tool for tool, _ in ranked[:3]))

    def match_quality(self, query: str) -> int:
        """2 for an exact name, slug or alias; 1 for a confident fuzzy match; 0 for none."""
        if normalize(query) in self._exact:
            return 2
        return 1 if isinstance(self.resolve(query), Found) else 0

    def autocomplete(self, prefix: str, limit: int = 25) -> list[ToolName]:
        """Prefix matches first (name, slug, alias), then word matches, then near-misses."""
        key = normalize(prefix)
        if not key:
            return self.tools[:limit]
        seen: dict[str, ToolName] = {}
        start = bisect.bisect_left(self._sorted_keys, key)
        for candidate in self._sorted_keys[start:]:
            if not candidate.startswith(key) or len(seen) >= limit:
                break
            tool = self._exact[candidate]
            seen.setdefault(tool.slug, tool)
        if len(seen) < limit:
            # One C-level regex scan over all names beats a Python loop over 10,000 strings.
            for match in re.finditer(" " + re.escape(key), self._joined):
                position = bisect.bisect_right(self._starts, match.start()) - 1
                tool = self.tools[position]
                seen.setdefault(tool.slug, tool)
                if len(seen) >= limit:
                    break
        if len(seen) < limit and len(key) >= 3:
            # A typo in what was typed so far: compare with each name's opening of that length.
            for _, _, position in process.extract(
                key, self._openings(len(key)), scorer=fuzz.ratio, limit=limit, score_cutoff=70
            ):
                tool = self.tools[position]
                seen.setdefault(tool.slug, tool)
                if len(seen) >= limit:
                    break
        return list(seen.values())[:limit]

    def _openings(self, length: int) -> list[str]:
        cached = self._opening_cache.get(length)
        if cached is None:
            cached = [name[:length] for name in self._names]
            self._opening_cache[length] = cached
        return cached
