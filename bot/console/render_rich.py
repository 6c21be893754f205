"""View models as rich renderables for an interactive terminal."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.core.views import (
    BookmarkList,
    BookmarkResult,
    CompareCard,
    ErrorView,
    HelpView,
    NoticeView,
    PanelVerdict,
    Reply,
    ScoreLine,
    ToolCard,
    VoteResult,
)

_VERDICT_STYLE = {"ship": "bold green", "skip": "bold red", "split": "bold yellow"}


def render(reply: Reply) -> RenderableType:
    match reply:
        case CompareCard():
            return _compare(reply)
        case ToolCard():
            return _tool(reply)
        case VoteResult() | BookmarkResult():
            return Text(reply.message, style="green")
        case BookmarkList():
            return _bookmarks(reply)
        case HelpView():
            return _help(reply)
        case NoticeView():
            return Text(reply.message, style="green")
        case ErrorView():
            return Text(reply.full_text, style="bold red")


def _verdict(panel: PanelVerdict) -> Text:
    return Text(panel.label, style=_VERDICT_STYLE.get(panel.verdict or "", ""))


def _score(line: ScoreLine | None) -> RenderableType:
    if line is None:
        return Text("not reviewed", style="dim")
    head = Text(line.label, style=_VERDICT_STYLE[line.verdict])
    return Group(head, Text(line.excerpt, style="dim"))


def _compare(card: CompareCard) -> RenderableType:
    a, b = card.first, card.second
    facts = Table(title=escape(card.title), box=box.ROUNDED, show_lines=True, expand=True)
    facts.add_column("Decision", style="bold", no_wrap=True)
    facts.add_column(escape(a.name), ratio=1)
    facts.add_column(escape(b.name), ratio=1)
    facts.add_row("Panel verdict", _verdict(a.panel), _verdict(b.panel))
    facts.add_row("Panel ship", f"{a.panel.ship_pct}%", f"{b.panel.ship_pct}%")
    facts.add_row("Community", a.community.label, b.community.label)
    facts.add_row("Entry", a.entry_price, b.entry_price)
    facts.add_row("Pricing", a.pricing, b.pricing)
    facts.add_row("Best for", a.best_for, b.best_for)
    facts.add_row("Category", a.category, b.category)
    scores = Table(title="Reviewer scorecard", box=box.SIMPLE_HEAD, expand=True, show_lines=True)
    scores.add_column("Critic", style="bold", no_wrap=True)
    scores.add_column(escape(a.name), ratio=1)
    scores.add_column(escape(b.name), ratio=1)
    for row in card.rows:
        scores.add_row(row.critic_name, _score(row.first), _score(row.second))
    decision = Panel(Text(card.decision, style="bold"), title="Decision")
    if not card.page_url:
        return Group(facts, scores, decision)
    return Group(facts, scores, decision, Text(f"Full comparison: {card.page_url}"))


def _tool(card: ToolCard) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Panel verdict", _verdict(card.panel))
    facts.add_row("Panel ship", f"{card.panel.ship_pct}%")
    facts.add_row("Community", card.community.label)
    facts.add_row("Entry", card.entry_price)
    facts.add_row("Pricing", card.pricing)
    facts.add_row("Category", card.category)
    scores = Table(box=box.SIMPLE_HEAD, expand=True)
    scores.add_column("Critic", style="bold", no_wrap=True)
    scores.add_column("Score", no_wrap=True)
    scores.add_column("Review", ratio=1)
    for line in card.scorecard:
        scores.add_row(
            line.critic_name, Text(line.label, style=_VERDICT_STYLE[line.verdict]), line.excerpt
        )
    body = Group(Text(card.best_for, style="italic"), Text(card.description), Text(), facts, scores)
    if card.page_url:
        body = Group(body, Text(f"Full page: {card.page_url}"))
    return Panel(body, title=escape(card.name), subtitle=escape(card.url or ""))


def _bookmarks(view: BookmarkList) -> RenderableType:
    if not view.items:
        return Text(f"{view.EMPTY_TITLE}. {view.EMPTY_HINT}", style="yellow")
    table = Table(title="Your bookmarks", box=box.SIMPLE_HEAD)
    for column in ("Tool", "Category", "Panel", "Community", "Your vote"):
        table.add_column(column)
    for item in view.items:
        table.add_row(
            escape(item.tool_name),
            item.category,
            _verdict(item.panel),
            item.community.label,
            item.your_vote or "—",
        )
    return table


def _help(view: HelpView) -> RenderableType:
    table = Table(title=view.title, box=box.SIMPLE_HEAD, show_header=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for entry in view.entries:
        table.add_row(entry.usage, entry.summary)
    table.add_row("quit", "Leave the chat (or Ctrl-D).")
    return table
