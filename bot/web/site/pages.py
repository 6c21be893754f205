"""What each page shows, as frozen view models built from the core's cards.

Comparisons and tool facts come from ``CommandService`` (the same cards chat shows,
with live community numbers); only rankings and histories need the site's own SQL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.links import compare_path, tool_path
from bot.core.service import CommandService
from bot.core.tool_index import Found, normalize
from bot.core.views import CompareCard, ErrorView, ToolCard
from db.queries import site as site_queries
from db.queries.site import PastReview
from db.queries.tools import ToolName

TOP_PAIRS = 6
PARTNERS = 5
SEARCH_RESULTS = 12


@dataclass(frozen=True, slots=True)
class PairLink:
    title: str
    path: str
    decision: str
    requests: int


@dataclass(frozen=True, slots=True)
class ToolPage:
    card: ToolCard
    history: tuple[PastReview, ...]
    partners: tuple[PairLink, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class LatestIssue:
    week: str
    subject: str


@dataclass(frozen=True, slots=True)
class HomePage:
    query: str
    hits: tuple[SearchHit, ...]
    top_pairs: tuple[PairLink, ...]
    latest: LatestIssue | None


def card_version(card: CompareCard) -> str:
    """Changes whenever the preview image would: names, verdicts, scores."""
    parts = []
    for tool in (card.first, card.second):
        parts += [tool.slug, tool.name, tool.panel.label, str(tool.panel.average_score)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


class SitePages:
    """Builds page models over the process's one command service."""

    def __init__(self, service: CommandService) -> None:
        self.service = service

    async def tool_named(self, slug: str) -> ToolName | None:
        index = self.service.index
        await index.refresh(self.service.database)
        return index.by_slug.get(slug)

    async def suggestions(self, text: str, limit: int = 5) -> tuple[SearchHit, ...]:
        """Closest tools to something that named none (an unknown slug or a search)."""
        index = self.service.index
        await index.refresh(self.service.database)
        words = " ".join(text.replace("-", " ").split())
        found = index.resolve(words)
        tools = [found.tool] if isinstance(found, Found) else list(found.suggestions)
        for tool in index.autocomplete(words, limit):
            if tool not in tools:
                tools.append(tool)
        return tuple(SearchHit(t.name, tool_path(t.slug)) for t in tools[:limit])

    async def compare(self, first: ToolName, second: ToolName) -> CompareCard | ErrorView:
        return await self.service.compare_by_id(first.id, second.id)

    async def tool(self, tool: ToolName) -> ToolPage | ErrorView:
        card = await self.service.tool_by_id(tool.id)
        if isinstance(card, ErrorView):
            return card
        async with self.service.database.read() as session:
            history = await site_queries.review_history(session, tool.id)
            partners = await site_queries.compared_with(session, tool.id, PARTNERS)
        links = []
        for partner in partners:
            pair = await self.service.compare_by_id(tool.id, partner.tool_id)
            if isinstance(pair, CompareCard):
                links.append(_pair_link(pair, partner.requests))
        return ToolPage(card, tuple(history), tuple(links))

    async def home(self, query: str, latest: LatestIssue | None) -> HomePage:
        hits: tuple[SearchHit, ...] = ()
        if query:
            index = self.service.index
            await index.refresh(self.service.database)
            found = index.resolve(query)
            tools = [found.tool] if isinstance(found, Found) else list(found.suggestions)
            for tool in index.autocomplete(query, SEARCH_RESULTS):
                if tool not in tools:
                    tools.append(tool)
            if not normalize(query):
                tools = []
            hits = tuple(SearchHit(t.name, tool_path(t.slug)) for t in tools[:SEARCH_RESULTS])
        since = datetime.now(UTC) - timedelta(days=7)
        async with self.service.database.read() as session:
            pairs = await site_queries.most_compared(session, since, TOP_PAIRS)
        top = []
        for pair in pairs:
            card = await self.service.compare_by_id(pair.first_id, pair.second_id)
            if isinstance(card, CompareCard):
                top.append(_pair_link(card, pair.requests))
        return HomePage(query, hits, tuple(top), latest)


def _pair_link(card: CompareCard, requests: int) -> PairLink:
    return PairLink(
        card.title, compare_path(card.first.slug, card.second.slug), card.decision, requests
    )
