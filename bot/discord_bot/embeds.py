"""Core view models rendered as Discord embed specs (plain data, fitted to the limits).

The compare card follows the site's comparison page: a header with the one-line
decision, one embed per tool (category, best-for, panel verdict with counts, panel
ship %, community, entry price and pricing), then the reviewer scorecard.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.core.views import (
    BookmarkList,
    CompareCard,
    DigestPost,
    HelpView,
    PanelVerdict,
    ScorecardRow,
    ScoreLine,
    ToolCard,
)
from bot.discord_bot.limits import FIELDS, EmbedSpec, FieldSpec, fit

INTRO = (
    "Which one should you ship with? Here is the side-by-side panel verdict, pricing read, "
    "reviewer split, and community vote comparison."
)
CARD_FOOTER = "Vote Ship or Skip with the buttons below; the community numbers update live."
COLORS = {"ship": 0x2ECC71, "skip": 0xE74C3C, "split": 0xF1C40F, None: 0x95A5A6}


@functools.lru_cache(maxsize=8192)
def safe(text: str) -> str:
    """Catalog and user text as Discord shows it literally: no markdown, no pings.

    Cached: the same catalog text is escaped for every card and the regexes are costly.
    """
    return escape_mentions(escape_markdown(text))


def _color(panel: PanelVerdict) -> int:
    return COLORS[panel.verdict]


def _pct(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _link(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def _tool_facts(card: ToolCard) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("Category", safe(card.category) or "—", True),
        FieldSpec("Panel verdict", card.panel.label, True),
        FieldSpec("Panel ship", _pct(card.panel.ship_pct), True),
        FieldSpec("Community", card.community.label, True),
        FieldSpec("Entry", safe(card.entry_price) or "—", True),
        FieldSpec("Pricing", safe(card.pricing) or "—", False),
    )


# A vote changes one number on one of a card's four embeds, and the card is redrawn
# after every vote: each embed's spec is cached on what it shows, so a redraw rebuilds
# only the voted tool's embed. Specs are frozen, so sharing them is safe.
PART_CACHE = 64


@functools.lru_cache(maxsize=PART_CACHE)
def _tool_spec(card: ToolCard) -> EmbedSpec:
    best_for = f"*{safe(card.best_for)}*" if card.best_for else ""
    parts = [best_for, safe(card.description)]
    return EmbedSpec(
        title=safe(card.name),
        description="\n\n".join(p for p in parts if p),
        fields=_tool_facts(card),
        url=_link(card.url),
        color=_color(card.panel),
    )


def _score(line: ScoreLine | None) -> str:
    if line is None:
        return "Not reviewed"
    return f"{line.label}\n{safe(line.excerpt)}"


@functools.lru_cache(maxsize=PART_CACHE)
def _compare_header(title: str, decision: str, panel: PanelVerdict) -> EmbedSpec:
    return EmbedSpec(
        title=safe(title),
        description=f"{INTRO}\n\n**Decision:** {safe(decision)}",
        color=_color(panel),
    )


@functools.lru_cache(maxsize=PART_CACHE)
def _compare_scorecard(
    first_name: str, second_name: str, rows: tuple[ScorecardRow, ...]
) -> EmbedSpec:
    return EmbedSpec(
        title="Reviewer scorecard",
        fields=tuple(
            FieldSpec(
                safe(row.critic_name),
                f"**{safe(first_name)}** · {_score(row.first)}\n\n"
                f"**{safe(second_name)}** · {_score(row.second)}",
            )
            for row in rows
        ),
        footer=CARD_FOOTER,
    )


def compare_specs(card: CompareCard) -> list[EmbedSpec]:
    first, second = card.first, card.second
    return fit(
        [
            _compare_header(card.title, card.decision, first.panel),
            _tool_spec(first),
            _tool_spec(second),
            _compare_scorecard(first.name, second.name, card.rows),
        ]
    )


def tool_specs(card: ToolCard) -> list[EmbedSpec]:
    spec = _tool_spec(card)
    scorecard = tuple(
        FieldSpec(f"{safe(line.critic_name)} · {line.label}", safe(line.excerpt))
        for line in card.scorecard
    )
    return fit([replace(spec, fields=spec.fields + scorecard, footer=CARD_FOOTER)])


def bookmark_specs(view: BookmarkList) -> list[EmbedSpec]:
    if not view.items:
        return fit([EmbedSpec(title=view.EMPTY_TITLE, description=view.EMPTY_HINT)])
    shown = view.items[:FIELDS]
    fields = tuple(
        FieldSpec(
            safe(item.tool_name),
            f"{safe(item.category)} · {item.panel.label}\nCommunity: {item.community.label}"
            + (f"\nYour vote: {item.your_vote}" if item.your_vote else ""),
        )
        for item in shown
    )
    more = len(view.items) - len(shown)
    footer = f"and {more} more" if more else ""
    return fit([EmbedSpec(title="Your bookmarks", fields=fields, footer=footer)])


def help_specs(view: HelpView) -> list[EmbedSpec]:
    fields = tuple(FieldSpec(entry.usage, safe(entry.summary)) for entry in view.entries)
    return fit([EmbedSpec(title=view.title, fields=fields)])


def digest_specs(post: DigestPost) -> list[EmbedSpec]:
    sections = tuple(
        FieldSpec(
            safe(section.title),
            "\n".join(
                f"• [{safe(item.title)}]({item.url}) {safe(item.detail)}"
                if item.url
                else f"• **{safe(item.title)}** {safe(item.detail)}"
                for item in section.items
            )
            or "—",
        )
        for section in post.sections
    )
    return fit(
        [
            EmbedSpec(
                title=safe(post.title),
                description=safe(post.intro),
                fields=sections,
                footer=f"Week {post.week} · archive: {post.archive_url}",
                url=_link(post.archive_url),
            )
        ]
    )


def to_embed(spec: EmbedSpec) -> discord.Embed:
    embed = discord.Embed(
        title=spec.title or None,
        description=spec.description or None,
        url=spec.url or None,
        color=spec.color,
    )
    for f in spec.fields:
        embed.add_field(name=f.name, value=f.value, inline=f.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed


def to_embeds(specs: list[EmbedSpec]) -> list[discord.Embed]:
    return [to_embed(spec) for spec in specs]


# The embeds of cards, shared by every message that shows the same part (see PART_CACHE):
# discord.py only serializes an Embed it is given, and nothing here changes one.
card_embed = functools.lru_cache(maxsize=PART_CACHE)(to_embed)
