"""The parts of a digest that differ per reader beyond the address (issue 16, items 5-6).

- Ship/Skip links: every tool entry of the issue carries two, signed per reader
  (digest.vote_tokens). The compiled HTML holds a placeholder per link; VoteLinks
  turns a reader's link key into the URLs that fill them.
- "Your tools this week": a reader whose person has bookmarks gets a block about those
  tools. PersonalBlocks looks up a whole claimed batch's bookmarks in one query and
  renders one small fragment per distinct bookmark set (plain Jinja, no MJML), cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.core.views import PanelVerdict
from db.engine import Database
from db.queries.bookmarks import ToolState, bookmarks_by_address, tool_states
from digest.links import IssueLinks
from digest.message import PersonalBlock, personal_block
from digest.snapshot_model import DigestSnapshot
from digest.vote_tokens import VoteTokens

# A block lists at most this many tools; more would bury the issue itself.
BLOCK_TOOLS = 8


def vote_slugs(snapshot: DigestSnapshot) -> tuple[str, ...]:
    """The tools that carry Ship/Skip links, each once, in the order the issue shows them."""
    slugs = [t.slug for t in snapshot.new_verdicts]
    slugs += [p.slug for p in (*snapshot.most_shipped, *snapshot.most_skipped)]
    slugs += [c.slug for c in snapshot.verdict_changes] + [m.slug for m in snapshot.movers]
    return tuple(dict.fromkeys(slugs))


def vote_path(token: str) -> str:
    return "/vote/" + quote(token, safe="._-~")


class VoteLinks:
    """A reader's Ship/Skip URLs by placeholder key ("<index>h" / "<index>k")."""

    def __init__(
        self, public_url: str, week: str, tokens: VoteTokens, slugs: Sequence[str]
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.tokens = tokens
        self.slugs = tuple(slugs)
        links = IssueLinks(public_url, week)
        # Without a reader (a preview, an old caller) the links open the tool's page.
        self._fallback = {
            f"{i}{v}": links.tool(slug) for i, slug in enumerate(self.slugs) for v in "hk"
        }

    def __call__(self, link_key: str | None) -> dict[str, str]:
        if link_key is None:
            return self._fallback
        base, sign = self.public_url + "/vote/", self.tokens.token
        urls = {}
        for i, slug in enumerate(self.slugs):
            urls[f"{i}h"] = base + quote(sign(link_key, slug, "ship"), safe="._-~")
            urls[f"{i}k"] = base + quote(sign(link_key, slug, "skip"), safe="._-~")
        return urls


@dataclass(frozen=True, slots=True)
class BlockRow:
    """One bookmarked tool in the block, as the templates show it."""

    state: ToolState
    changes: tuple[str, ...]

    @property
    def panel(self) -> PanelVerdict:
        return PanelVerdict(self.state.panel_ship, self.state.panel_skip, self.state.score_avg)


class PersonalBlocks:
    """Bookmark blocks for one issue's send; fragments cached by bookmark set."""

    def __init__(self, database: Database, snapshot: DigestSnapshot, public_url: str) -> None:
        self.database = database
        self.snapshot = snapshot
        self.links = IssueLinks(public_url, snapshot.week)
        self._states: dict[int, ToolState | None] = {}
        self._blocks: dict[frozenset[int], PersonalBlock | None] = {}
        self._changes = _changes_by_slug(snapshot)

    async def for_addresses(self, addresses: Iterable[str]) -> dict[str, PersonalBlock | None]:
        """Each address's block (None: no bookmarks); one query for the batch's bookmarks,
        one more only for tools not seen before in this send."""
        wanted = list(addresses)
        async with self.database.read() as session:
            bookmarks = await bookmarks_by_address(session, wanted)
            missing = {t for ids in bookmarks.values() for t in ids} - self._states.keys()
            if missing:
                found = await tool_states(session, missing)
                for tool_id in missing:
                    self._states[tool_id] = found.get(tool_id)
        return {address: self._block(bookmarks.get(address)) for address in wanted}

    def _block(self, tool_ids: frozenset[int] | None) -> PersonalBlock | None:
        if not tool_ids:
            return None
        if tool_ids not in self._blocks:
            self._blocks[tool_ids] = self._render(tool_ids)
        return self._blocks[tool_ids]

    def _render(self, tool_ids: frozenset[int]) -> PersonalBlock | None:
        from digest.render import render_personal_block  # render imports this module

        states = sorted(
            (s for t in tool_ids if (s := self._states.get(t)) is not None),
            key=lambda s: s.name.casefold(),
        )
        if not states:
            return None
        rows = [BlockRow(s, self._changes.get(s.slug, ())) for s in states[:BLOCK_TOOLS]]
        html, text = render_personal_block(rows, len(states) - len(rows), self.links)
        return personal_block(html, text)


def _changes_by_slug(snapshot: DigestSnapshot) -> dict[str, tuple[str, ...]]:
    """What this issue says changed about each tool, in words."""
    changes: dict[str, list[str]] = {}
    for t in snapshot.new_verdicts:
        changes.setdefault(t.slug, []).append(f"new panel verdict: {t.verdict_label}")
    for c in snapshot.verdict_changes:
        changes.setdefault(c.slug, []).append(f"panel verdict {c.before} → {c.after}")
    for m in snapshot.movers:
        changes.setdefault(m.slug, []).append(f"community {m.before_pct}% → {m.after_pct}% ship")
    return {slug: tuple(words) for slug, words in changes.items()}


__all__ = ["BlockRow", "PersonalBlocks", "VoteLinks", "vote_path", "vote_slugs"]
