"""Build tool cards and comparisons from database rows."""

from __future__ import annotations

from typing import cast

from bot.core.text import excerpt
from bot.core.views import (
    CommunityTally,
    CompareCard,
    PanelVerdict,
    ScorecardRow,
    ScoreLine,
    ToolCard,
    Verdict,
)
from db.models import Tool
from db.queries.votes import Tally


def panel_of(tool: Tool) -> PanelVerdict:
    ship = sum(1 for r in tool.reviews if r.verdict == "ship")
    scores = [r.score for r in tool.reviews]
    average = sum(scores) / len(scores) if scores else None
    return PanelVerdict(ship=ship, skip=len(scores) - ship, average_score=average)


def tool_card(tool: Tool, tally: Tally) -> ToolCard:
    reviews = sorted(tool.reviews, key=lambda r: (r.critic.position, r.critic.id))
    return ToolCard(
        tool_id=tool.id,
        slug=tool.slug,
        name=tool.name,
        category=tool.category,
        best_for=tool.best_for,
        description=tool.description,
        pricing=tool.pricing,
        entry_price=tool.entry_price,
        vendor=tool.vendor,
        url=tool.url,
        panel=panel_of(tool),
        community=CommunityTally(ship=tally.ship, skip=tally.skip),
        scorecard=tuple(
            ScoreLine(
                critic_slug=r.critic.slug,
                critic_name=r.critic.name,
                score=r.score,
                verdict=cast(Verdict, r.verdict),
                excerpt=excerpt(r.text),
                text=r.text,
            )
            for r in reviews
        ),
    )


def compare_card(first: ToolCard, second: ToolCard, critic_order: list[str]) -> CompareCard:
    critics = [c for c in critic_order if first.review_by(c) or second.review_by(c)]
    names = {line.critic_slug: line.critic_name for line in (*first.scorecard, *second.scorecard)}
    rows = tuple(
        ScorecardRow(slug, names[slug], first.review_by(slug), second.review_by(slug))
        for slug in critics
    )
    return CompareCard(first=first, second=second, decision=decision(first, second), rows=rows)


def decision(first: ToolCard, second: ToolCard) -> str:
    """One line: which tool the panel favours and by how much, or that they tie."""
    a, b = first.panel, second.panel
    if a.total == 0 or b.total == 0:
        unreviewed = first.name if a.total == 0 else second.name
        return f"The panel has not reviewed {unreviewed} yet, so there is no call to make."
    a_avg, b_avg = a.average_score or 0.0, b.average_score or 0.0
    if a.ship_pct != b.ship_pct:
        winner, loser = (
            (first, second) if (a.ship_pct or 0) > (b.ship_pct or 0) else (second, first)
        )
        return (
            f"The panel favours {winner.name}: {winner.panel.ship_pct}% ship vs "
            f"{loser.panel.ship_pct}%, average score {_fmt(winner.panel.average_score)} vs "
            f"{_fmt(loser.panel.average_score)}."
        )
    if abs(a_avg - b_avg) >= 0.05:
        winner, loser = (first, second) if a_avg > b_avg else (second, first)
        return (
            f"Both are {a.ship_pct}% ship with the panel; {winner.name} edges it on score, "
            f"{_fmt(winner.panel.average_score)} vs {_fmt(loser.panel.average_score)}."
        )
    return f"A tie: both {a.ship_pct}% ship with the same average score ({_fmt(a.average_score)})."


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:.1f}".removesuffix(".0")
