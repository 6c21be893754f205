"""Plain view models that every front end renders (Discord, Slack, console, digest).

Frozen dataclasses with no platform types: a front end only turns these into
embeds, blocks or terminal tables, and parses its own input back into calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from db.queries.card_refresh import CardClaim

Verdict = Literal["ship", "skip"]
VoteOutcome = Literal["counted", "changed", "unchanged"]
ErrorCode = Literal[
    "unknown_tool",
    "usage",
    "same_tool",
    "unknown_command",
    "rate_limited",
    "unavailable",
    "link_refused",
]


@dataclass(frozen=True, slots=True)
class PanelVerdict:
    """How the critics split on one tool."""

    ship: int
    skip: int
    average_score: float | None

    @property
    def total(self) -> int:
        return self.ship + self.skip

    @property
    def verdict(self) -> Literal["ship", "skip", "split"] | None:
        if self.total == 0:
            return None
        if self.ship == self.skip:
            return "split"
        return "ship" if self.ship > self.skip else "skip"

    @property
    def ship_pct(self) -> int | None:
        return None if self.total == 0 else round(100 * self.ship / self.total)

    @property
    def verdict_label(self) -> str:
        return {"ship": "Ship", "skip": "Skip", "split": "Split", None: "Not reviewed"}[
            self.verdict
        ]

    @property
    def label(self) -> str:
        """``Ship · 4 ship / 0 skip``, as the site shows it."""
        if self.total == 0:
            return "Not reviewed yet"
        return f"{self.verdict_label} · {self.ship} ship / {self.skip} skip"


@dataclass(frozen=True, slots=True)
class CommunityTally:
    """The community's ship/skip votes on one tool."""

    ship: int
    skip: int

    @property
    def total(self) -> int:
        return self.ship + self.skip

    @property
    def ship_pct(self) -> int | None:
        return None if self.total == 0 else round(100 * self.ship / self.total)

    @property
    def label(self) -> str:
        if self.total == 0:
            return "No community votes yet"
        votes = "vote" if self.total == 1 else "votes"
        return f"{self.ship_pct}% ship · {self.total} {votes} ({self.ship} ship / {self.skip} skip)"


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One critic's review of one tool."""

    critic_slug: str
    critic_name: str
    score: int
    verdict: Verdict
    excerpt: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.score}/100 · {self.verdict}"


@dataclass(frozen=True, slots=True)
class ToolCard:
    """Everything the site shows about one tool."""

    # The database id; front ends put it in their buttons so a click finds the tool.
    tool_id: int
    slug: str
    name: str
    category: str
    best_for: str
    description: str
    pricing: str
    entry_price: str
    vendor: str
    url: str
    panel: PanelVerdict
    community: CommunityTally
    scorecard: tuple[ScoreLine, ...]
    # Our own page of the tool (empty when the service has no public URL).
    page_url: str = ""

    def review_by(self, critic_slug: str) -> ScoreLine | None:
        return next((line for line in self.scorecard if line.critic_slug == critic_slug), None)


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    """One critic's line across both tools of a comparison."""

    critic_slug: str
    critic_name: str
    first: ScoreLine | None
    second: ScoreLine | None


@dataclass(frozen=True, slots=True)
class CompareCard:
    """Two tools side by side with the panel's decision."""

    first: ToolCard
    second: ToolCard
    decision: str
    rows: tuple[ScorecardRow, ...]
    # Our own page of the comparison (empty when the service has no public URL).
    page_url: str = ""

    @property
    def title(self) -> str:
        return f"{self.first.name} vs {self.second.name}"


@dataclass(frozen=True, slots=True)
class VoteResult:
    tool_slug: str
    tool_name: str
    verdict: Verdict
    outcome: VoteOutcome
    community: CommunityTally
    # Not shown: for the adapter, the right to redraw the live card the vote was cast on,
    # when the vote's transaction took it (see bot.core.card_refresher).
    claim: CardClaim | None = field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        said = {
            "counted": f"Counted your {self.verdict} vote for {self.tool_name}.",
            "changed": f"Changed your vote on {self.tool_name} to {self.verdict}.",
            "unchanged": f"You already voted {self.verdict} on {self.tool_name}; nothing changed.",
        }[self.outcome]
        return f"{said} Community: {self.community.label}."


@dataclass(frozen=True, slots=True)
class BookmarkResult:
    tool_slug: str
    tool_name: str
    saved: bool

    @property
    def message(self) -> str:
        if self.saved:
            return f"Bookmarked {self.tool_name}. See your list with /bookmarks."
        return f"Removed {self.tool_name} from your bookmarks."


@dataclass(frozen=True, slots=True)
class BookmarkItem:
    tool_slug: str
    tool_name: str
    category: str
    best_for: str
    panel: PanelVerdict
    community: CommunityTally
    your_vote: Verdict | None


@dataclass(frozen=True, slots=True)
class BookmarkList:
    items: tuple[BookmarkItem, ...]

    EMPTY_TITLE = "No bookmarks yet"
    EMPTY_HINT = "Bookmark tools to save them for later: /bookmark <tool>."


@dataclass(frozen=True, slots=True)
class HelpEntry:
    usage: str
    summary: str


@dataclass(frozen=True, slots=True)
class HelpView:
    entries: tuple[HelpEntry, ...]
    title: str = "Ship or Skip: panel verdicts on AI tools"


@dataclass(frozen=True, slots=True)
class ErrorView:
    """A clear answer to input we could not act on; always shown to its author only."""

    code: ErrorCode
    message: str
    suggestions: tuple[str, ...] = field(default=())
    usage: str | None = None

    @property
    def full_text(self) -> str:
        parts = [self.message]
        if self.suggestions:
            parts.append("Did you mean: " + ", ".join(self.suggestions) + "?")
        if self.usage:
            parts.append(f"Usage: {self.usage}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: what the user sees, and what is sent back."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A short confirmation meant for one person (subscribe, digest opt-in)."""

    message: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    title: str
    detail: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class DigestSection:
    title: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class DigestPost:
    """The weekly digest as a chat post; built from the same snapshot as the email."""

    week: str
    title: str
    intro: str
    sections: tuple[DigestSection, ...]
    archive_url: str


Reply = (
    CompareCard
    | ToolCard
    | VoteResult
    | BookmarkResult
    | BookmarkList
    | HelpView
    | NoticeView
    | ErrorView
)
