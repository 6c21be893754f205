"""View models as plain text lines, for pipes and scripts."""

from __future__ import annotations

from bot.core.views import (
    BookmarkList,
    BookmarkResult,
    CompareCard,
    ErrorView,
    HelpView,
    NoticeView,
    Reply,
    ScoreLine,
    ToolCard,
    VoteResult,
)


def render_plain(reply: Reply) -> str:
    match reply:
        case CompareCard():
            return _compare(reply)
        case ToolCard():
            return _tool(reply)
        case VoteResult() | BookmarkResult():
            return reply.message
        case BookmarkList():
            if not reply.items:
                return f"{reply.EMPTY_TITLE}. {reply.EMPTY_HINT}"
            return "Your bookmarks:\n" + "\n".join(
                f"- {i.tool_name} ({i.category}): {i.panel.label}; community "
                f"{i.community.label}; your vote: {i.your_vote or 'none'}"
                for i in reply.items
            )
        case HelpView():
            return (
                reply.title
                + "\n"
                + "\n".join(f"  {e.usage:<28} {e.summary}" for e in reply.entries)
            )
        case NoticeView():
            return reply.message
        case ErrorView():
            return f"Error: {reply.full_text}"


def _score(line: ScoreLine | None) -> str:
    return "not reviewed" if line is None else f"{line.label}: {line.excerpt}"


def _compare(card: CompareCard) -> str:
    a, b = card.first, card.second
    lines = [card.title, ""]
    for label, left, right in (
        ("Panel verdict", a.panel.label, b.panel.label),
        ("Panel ship", f"{a.panel.ship_pct}%", f"{b.panel.ship_pct}%"),
        ("Community", a.community.label, b.community.label),
        ("Entry", a.entry_price, b.entry_price),
        ("Pricing", a.pricing, b.pricing),
        ("Best for", a.best_for, b.best_for),
        ("Category", a.category, b.category),
    ):
        lines.append(f"{label}: {a.name}: {left} | {b.name}: {right}")
    lines += ["", "Reviewer scorecard"]
    for row in card.rows:
        lines.append(f"{row.critic_name}")
        lines.append(f"  {a.name}: {_score(row.first)}")
        lines.append(f"  {b.name}: {_score(row.second)}")
    lines += ["", f"Decision: {card.decision}"]
    if card.page_url:
        lines.append(f"Full comparison: {card.page_url}")
    return "\n".join(lines)


def _tool(card: ToolCard) -> str:
    lines = [
        f"{card.name} ({card.category})",
        card.best_for,
        card.description,
        f"Panel verdict: {card.panel.label} ({card.panel.ship_pct}% ship)",
        f"Community: {card.community.label}",
        f"Entry: {card.entry_price}",
        f"Pricing: {card.pricing}",
        "Reviewer scorecard",
    ]
    lines += [f"  {line.critic_name}: {_score(line)}" for line in card.scorecard]
    if card.page_url:
        lines.append(f"Full page: {card.page_url}")
    return "\n".join(lines)
