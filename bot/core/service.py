"""The command handlers: typed inputs in, view models out, for every front end."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from sqlalchemy.exc import IntegrityError

from bot.core import linking, links
from bot.core.cards import compare_card, tool_card
from bot.core.context import ID_LIMIT, CommandContext
from bot.core.guard import UNAVAILABLE, answers_when_down, database_down, guarded
from bot.core.parsing import USAGE, Command, clean, parse_command, unknown_command
from bot.core.ports import Subscriptions
from bot.core.rate_limit import RateLimiter
from bot.core.registry import (
    BY_NAME,
    PLATFORMS,
    REGISTRY,
    Answer,
    CommandSpec,
    Invocation,
    help_for,
)
from bot.core.tally_board import TallyBoard
from bot.core.tool_index import Found, ToolIndex
from bot.core.views import (
    BookmarkItem,
    BookmarkList,
    BookmarkResult,
    Choice,
    CommunityTally,
    CompareCard,
    ErrorView,
    HelpView,
    NoticeView,
    Reply,
    ToolCard,
    Verdict,
    VoteResult,
)
from db.batching import Batcher
from db.engine import Database
from db.models import Tool
from db.queries import bookmarks as bookmark_queries
from db.queries import channels as channel_queries
from db.queries import links as link_queries
from db.queries import requests as request_queries
from db.queries import tools as tool_queries
from db.queries import votes as vote_queries
from db.queries.people import IdentityCache
from db.queries.rate_limits import RateLimit
from db.queries.requests import CompareLog
from db.queries.tools import ToolName
from db.queries.votes import Cast, Tally, VoteRequest

log = logging.getLogger(__name__)
TOOL_CACHE_SIZE = 2_000
BUILT_CARDS = 4_096
T = TypeVar("T", ToolCard, CompareCard)

# Every registry command runs inside the one guard, counted under its name.
_HANDLERS = {spec.name: guarded(spec.name, spec.handler) for spec in REGISTRY}


class CommandService:
    """Every command, platform-neutral. Front ends own parsing of their input and rendering."""

    def __init__(
        self,
        database: Database,
        index: ToolIndex | None = None,
        vote_limit: RateLimit | None = None,
        subscriptions: Subscriptions | None = None,
        public_url: str | None = None,
        tally_ttl_s: float = 0.0,
    ) -> None:
        self.database = database
        # Cards link to their pages on the site when the service knows where it is.
        self.public_url = public_url
        self.index = index or ToolIndex()
        # Kept in the database, so the limit holds for a person across every process. The
        # same limit in memory first turns away a storm from this process without a
        # transaction per click; it never admits what the database would refuse.
        self.vote_limit = vote_limit or RateLimit(limit=10, window_s=10.0)
        self._local_votes = RateLimiter(self.vote_limit.limit, self.vote_limit.window_s)
        # Saves each vote batch the identity look-up while no account changes person.
        self._people = IdentityCache()
        self.subscriptions = subscriptions
        self._tool_cache: dict[str, Tool] = {}
        # Cards without community numbers, built once per catalog generation.
        self._base_cards: dict[str, ToolCard] = {}
        # Cards with their counts and pairs of them, as last built for this catalog
        # generation: most requests repeat a card whose counts have not moved, and the same
        # object again also hits the renderers' caches without a deep comparison.
        self._built: dict[tuple[str | int, ...], ToolCard | CompareCard] = {}
        self._critic_order: list[str] | None = None
        self._cache_generation = -1
        self._votes: Batcher[VoteRequest, Cast] = Batcher(
            functools.partial(
                vote_queries.cast_votes, database, limit=self.vote_limit, cache=self._people
            ),
            key=lambda r: (r.voter, r.tool_id),
        )
        self._compare_log: Batcher[CompareLog, None] = Batcher(
            functools.partial(request_queries.record_compares, database), key=id
        )
        # Counts on cards come from memory, re-read when the tally clock says they changed.
        # The clock is looked at every ``tally_ttl_s`` (the web pages use a second or so;
        # 0: the board's default, a tenth of a second); this process's own votes show at once.
        self.tally_board = (
            TallyBoard(database, max_age_s=tally_ttl_s) if tally_ttl_s > 0 else TallyBoard(database)
        )

    # -- lookups -----------------------------------------------------------------------------

    async def _find(self, name: str) -> ToolName | ErrorView:
        name = clean(name)
        await self.index.refresh(self.database)
        found = self.index.resolve(name)
        if isinstance(found, Found):
            return found.tool
        shown = " ".join(name.split())[:80] or "(empty)"
        return ErrorView(
            "unknown_tool",
            f"No tool named “{shown}”.",
            suggestions=tuple(t.name for t in found.suggestions),
        )

    async def _tools(self, slugs: list[str]) -> dict[str, Tool]:
        """Tools with reviews, from a cache that is dropped whenever the catalog changes."""
        await self.index.refresh(self.database)
        if self._cache_generation != self.index.generation:
            self._tool_cache.clear()
            self._base_cards.clear()
            self._built.clear()
            self._critic_order = None
            self._cache_generation = self.index.generation
        missing = [slug for slug in slugs if slug not in self._tool_cache]
        if missing or self._critic_order is None:
            async with self.database.read() as session:
                if missing:
                    self._tool_cache.update(await tool_queries.tools_with_reviews(session, missing))
                if self._critic_order is None:
                    critics = await tool_queries.critics_in_order(session)
                    self._critic_order = [c.slug for c in critics]
            while len(self._tool_cache) > TOOL_CACHE_SIZE:
                self._base_cards.pop(self._tool_cache.pop(next(iter(self._tool_cache))).slug, None)
        return {slug: self._tool_cache[slug] for slug in slugs if slug in self._tool_cache}

    async def _cards(self, slugs: list[str], *, fresh: bool = False) -> dict[str, ToolCard]:
        tools = await self._tools(slugs)
        ids = [t.id for t in tools.values()]
        tallies = await self.tally_board.tallies(ids, current=fresh)
        return {slug: self._card(tool, tallies[tool.id]) for slug, tool in tools.items()}

    def _remember(self, key: tuple[str | int, ...], card: T) -> T:
        if len(self._built) >= BUILT_CARDS:
            self._built.clear()
        self._built[key] = card
        return card

    def _card(self, tool: Tool, tally: Tally) -> ToolCard:
        built = self._built.get((tool.slug, tally.ship, tally.skip))
        if isinstance(built, ToolCard):
            return built
        base = self._base_cards.get(tool.slug)
        if base is None:
            base = tool_card(tool, Tally())
            if self.public_url:
                base = dataclasses.replace(
                    base, page_url=links.tool_url(self.public_url, tool.slug)
                )
            self._base_cards[tool.slug] = base
        card = dataclasses.replace(base, community=CommunityTally(tally.ship, tally.skip))
        return self._remember((tool.slug, tally.ship, tally.skip), card)

    def note_tally(self, tool_id: int, tally: Tally) -> None:
        """Remember a tool's tally just counted after a vote (read after its commit)."""
        self.tally_board.note(tool_id, tally)

    async def _tool_by_id(self, tool_id: int) -> ToolName | None:
        await self.index.refresh(self.database)
        if tool_id not in self.index.by_id:
            await self.index.refresh(self.database, force=True)
        return self.index.by_id.get(tool_id)

    # -- commands ----------------------------------------------------------------------------

    @answers_when_down
    async def compare(
        self, ctx: CommandContext, first: str, second: str
    ) -> CompareCard | ErrorView:
        """Both tools side by side; records the request (also when a name is unknown)."""
        # Options from Discord arrive as typed: drop NULs and direction overrides before
        # anything is matched, shown or stored (PostgreSQL refuses NUL in text).
        first, second = clean(first), clean(second)
        if not first or not second:
            return ErrorView("usage", "Compare needs two tool names.", usage=USAGE["compare"])
        a, b = await self._find(first), await self._find(second)
        found = [t for t in (a, b) if isinstance(t, ToolName)]
        tools = await self._tools([t.slug for t in found])
        log_entry = CompareLog(
            ctx.voter,
            (first.strip(), a.id if isinstance(a, ToolName) else None),
            (second.strip(), b.id if isinstance(b, ToolName) else None),
        )
        ready = isinstance(a, ToolName) and isinstance(b, ToolName) and a.slug != b.slug
        # Recording the request (batched with others) and counting votes run side by side.
        _, tallies = await asyncio.gather(
            self._compare_log.submit(log_entry),
            self.tally_board.tallies([t.id for t in tools.values()]) if ready else _no_tallies(),
        )
        if isinstance(a, ErrorView):
            return a
        if isinstance(b, ErrorView):
            return b
        if a.slug == b.slug:
            return ErrorView(
                "same_tool",
                f"Both names point to {a.name}. Pick two different tools.",
                usage=USAGE["compare"],
            )
        if a.slug not in tools or b.slug not in tools:
            return _gone(a.slug if a.slug not in tools else b.slug)
        cards = {slug: self._card(tool, tallies[tool.id]) for slug, tool in tools.items()}
        return self._pair(cards[a.slug], cards[b.slug])

    @answers_when_down
    async def compare_by_id(
        self, first_id: int, second_id: int, *, fresh: bool = False
    ) -> CompareCard | ErrorView:
        """Re-render a comparison card from tool ids.

        ``fresh``: a card redraw must show every vote committed before it, from any
        process, so the board looks at the tally clock first (TallyBoard ``current``).
        """
        first, second = await self._tool_by_id(first_id), await self._tool_by_id(second_id)
        if first is None or second is None:
            return _gone()
        cards = await self._cards([first.slug, second.slug], fresh=fresh)
        if len(cards) < 2:
            return _gone()
        return self._pair(cards[first.slug], cards[second.slug])

    def _pair(self, first: ToolCard, second: ToolCard) -> CompareCard:
        key = (
            first.slug,
            first.community.ship,
            first.community.skip,
            second.slug,
            second.community.ship,
            second.community.skip,
        )
        built = self._built.get(key)
        if isinstance(built, CompareCard):
            return built
        card = compare_card(first, second, self._critic_order or [])
        if self.public_url:
            card = dataclasses.replace(
                card, page_url=links.compare_url(self.public_url, first.slug, second.slug)
            )
        return self._remember(key, card)

    @answers_when_down
    async def tool(self, ctx: CommandContext, name: str) -> ToolCard | ErrorView:
        found = await self._find(name)
        if isinstance(found, ErrorView):
            return found
        cards = await self._cards([found.slug])
        return cards.get(found.slug) or _gone(found.slug)

    @answers_when_down
    async def tool_by_id(self, tool_id: int, *, fresh: bool = False) -> ToolCard | ErrorView:
        """One tool's card from its id; ``fresh`` as in ``compare_by_id``."""
        found = await self._tool_by_id(tool_id)
        if found is None:
            return _gone()
        cards = await self._cards([found.slug], fresh=fresh)
        return cards.get(found.slug) or _gone()

    @answers_when_down
    async def vote(self, ctx: CommandContext, name: str, verdict: str) -> VoteResult | ErrorView:
        choice = verdict.strip().casefold()
        if choice not in ("ship", "skip"):
            return ErrorView("usage", "A vote is ship or skip.", usage=USAGE["vote"])
        found = await self._find(name)
        if isinstance(found, ErrorView):
            return found
        return await self._vote(ctx, found, cast(Verdict, choice))

    @answers_when_down
    async def vote_by_id(
        self, ctx: CommandContext, tool_id: int, verdict: Verdict, card_key: str | None = None
    ) -> VoteResult | ErrorView:
        """A vote from a button: the tool may have left the catalog since the card was sent.

        ``card_key``: the live card clicked; the result carries the claim to redraw it when
        the vote took it (bot.core.card_refresher).
        """
        found = await self._tool_by_id(tool_id)
        if found is None:
            return _gone()
        return await self._vote(ctx, found, verdict, card_key)

    async def _vote(
        self, ctx: CommandContext, tool: ToolName, verdict: Verdict, card_key: str | None = None
    ) -> VoteResult | ErrorView:
        limited = not self._local_votes.allow(ctx.voter.identity)
        outcome, tally, claim = (
            Cast("limited", Tally())
            if limited
            else await self._votes.submit(VoteRequest(ctx.voter, tool.id, verdict, card_key))
        )
        if outcome == "limited":
            return ErrorView(
                "rate_limited", "You are voting very fast. Wait a few seconds and try again."
            )
        if outcome is None:
            # The foreign key refused it: the tool left the catalog after the index was read.
            return _gone(tool.slug)
        # The tally read in the vote's own transaction: this process's cards show it at once.
        self.note_tally(tool.id, tally)
        community = CommunityTally(tally.ship, tally.skip)
        return VoteResult(tool.slug, tool.name, verdict, outcome, community, claim)

    @answers_when_down
    async def bookmark(self, ctx: CommandContext, name: str) -> BookmarkResult | ErrorView:
        found = await self._find(name)
        if isinstance(found, ErrorView):
            return found
        return await self._bookmark(ctx, found)

    @answers_when_down
    async def bookmark_by_id(
        self, ctx: CommandContext, tool_id: int, want: bool | None = None
    ) -> BookmarkResult | ErrorView:
        """Toggle the bookmark, or (``want``) save/remove it: a repeated click changes nothing."""
        found = await self._tool_by_id(tool_id)
        if found is None:
            return _gone()
        return await self._bookmark(ctx, found, want)

    async def _bookmark(
        self, ctx: CommandContext, tool: ToolName, want: bool | None = None
    ) -> BookmarkResult | ErrorView:
        try:
            async with self.database.write() as session:
                if want is None:
                    saved = await bookmark_queries.toggle_bookmark(session, ctx.voter, tool.id)
                else:
                    saved = await bookmark_queries.set_bookmark(session, ctx.voter, tool.id, want)
        except IntegrityError:
            return _gone(tool.slug)
        return BookmarkResult(tool.slug, tool.name, saved)

    @answers_when_down
    async def bookmarks(self, ctx: CommandContext) -> BookmarkList:
        async with self.database.read() as session:
            saved = await bookmark_queries.bookmarked_tools(session, ctx.voter)
            order = [t.slug for t in saved]
            tools = await tool_queries.tools_with_reviews(session, order)
            ids = [t.id for t in tools.values()]
            tallies = await vote_queries.tallies(session, ids)
            mine = await vote_queries.votes_of(session, ctx.voter, ids)
        items = []
        for slug in order:
            tool = tools[slug]
            card = tool_card(tool, tallies[tool.id])
            items.append(
                BookmarkItem(
                    tool_slug=card.slug,
                    tool_name=card.name,
                    category=card.category,
                    best_for=card.best_for,
                    panel=card.panel,
                    community=card.community,
                    your_vote=cast(Verdict | None, mine.get(tool.id)),
                )
            )
        return BookmarkList(tuple(items))

    def help(self, platform: str = "console") -> HelpView:
        """The commands that exist on ``platform``."""
        return help_for(platform)

    @answers_when_down
    async def subscribe(self, ctx: CommandContext, email: str) -> NoticeView | ErrorView:
        """Start the email double opt-in for ``email``."""
        if not email.strip():
            return ErrorView("usage", "Which address?", usage=USAGE["subscribe"])
        if self.subscriptions is None:
            return ErrorView("unavailable", "Email subscriptions are not set up here.")
        # Per person, so one user can't spray confirmation emails at many addresses.
        requester = f"{ctx.platform}:{ctx.workspace}:{ctx.user_id}"
        reply = await self.subscriptions.request(
            email.strip(), source=ctx.platform, requester=requester
        )
        if isinstance(reply, NoticeView):
            # Confirming the address will link it to this person (see db.queries.links).
            async with self.database.write() as session:
                await link_queries.claim_email(session, ctx.voter.identity, email)
        return reply

    @answers_when_down
    async def link(self, ctx: CommandContext, code: str | None = None) -> NoticeView | ErrorView:
        """No code: a one-time code for this account. A code: join the account that made it."""
        reply = await linking.link(self.database, ctx, code)
        if code and isinstance(reply, NoticeView):
            # A merge may have dropped duplicate votes (and bumped the tally clock): this
            # process's next card follows the clock now, not up to max_age_s later.
            self.tally_board.follow_clock_now()
        return reply

    @answers_when_down
    async def unlink(self, ctx: CommandContext) -> NoticeView | ErrorView:
        return await linking.unlink(self.database, ctx)

    @answers_when_down
    async def digest_channel(
        self, ctx: CommandContext, channel_id: str, *, enable: bool, is_admin: bool
    ) -> NoticeView | ErrorView:
        """Opt a channel in to (or out of) the weekly digest post; admins only."""
        if not is_admin:
            return ErrorView(
                "usage", "Only server or workspace admins can change where the digest is posted."
            )
        channel_id = channel_id.replace("\x00", "")[:ID_LIMIT]
        async with self.database.write() as session:
            changed = await channel_queries.set_channel_digest(
                session, ctx.platform, ctx.workspace, channel_id, ctx.user_id, enable=enable
            )
        if enable:
            return NoticeView(
                "This channel will get the weekly verdict digest."
                if changed
                else "This channel already gets the weekly verdict digest."
            )
        return NoticeView(
            "This channel will no longer get the weekly digest."
            if changed
            else "This channel was not getting the weekly digest."
        )

    async def autocomplete(self, prefix: str, limit: int = 25) -> list[Choice]:
        """Up to ``limit`` tools for a partly typed name; never raises (autocomplete can't wait)."""
        try:
            await self.index.refresh(self.database)
        except Exception as exc:
            if not database_down(exc):
                raise
            log.warning("autocomplete served from a stale index: %s", exc)
        return [Choice(t.name, t.slug) for t in self.index.autocomplete(prefix, limit)]

    # -- text commands (console, Slack, tests) ----------------------------------------------

    async def run(self, ctx: CommandContext, text: str) -> Reply:
        """Parse one command line and answer it; never raises for bad input."""
        return (await self.run_text(ctx, text)).reply

    async def run_text(
        self,
        ctx: CommandContext,
        text: str,
        *,
        channel_id: str | None = None,
        is_admin: Callable[[], Awaitable[bool]] | None = None,
    ) -> Answer:
        """``run``, also saying who sees the answer (Slack's in_channel or ephemeral)."""
        try:
            await self.index.refresh(self.database)
        except Exception as exc:
            if not database_down(exc):
                raise
            return Answer(UNAVAILABLE, "private")
        parsed = parse_command(text, self.index.match_quality)
        if isinstance(parsed, ErrorView):
            return Answer(parsed, "private")
        call = Invocation(ctx, parsed.args, channel_id, is_admin)
        return await self.invoke(BY_NAME[parsed.name], call)

    async def invoke(self, spec: CommandSpec, call: Invocation) -> Answer:
        """Run one registry command (already parsed) inside the guard."""
        platform = call.ctx.platform
        if platform in PLATFORMS and platform not in spec.platforms:
            return Answer(unknown_command(f"/{spec.name}"), "private")
        reply = await _HANDLERS[spec.name](self, call)
        return Answer(reply, spec.visibility_of(reply))

    async def dispatch(self, ctx: CommandContext, command: Command) -> Reply:
        return (await self.invoke(BY_NAME[command.name], Invocation(ctx, command.args))).reply


async def _no_tallies() -> dict[int, Tally]:
    return {}


def _gone(slug: str | None = None) -> ErrorView:
    what = f"“{slug}”" if slug else "That tool"
    return ErrorView("unknown_tool", f"{what} is no longer in the catalog.")
