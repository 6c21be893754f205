"""The week's snapshot: what one digest issue says, built once from the database.

The snapshot is a ``DigestSnapshot`` (digest/snapshot_model.py), stored as JSON. Email,
chat posts and the web archive all render it, so they always agree, and a re-send
shows exactly what the first send did. The questions it asks live in
db/queries/week_activity.py.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.cards import decision, tool_card
from bot.core.views import ToolCard
from db.engine import Database
from db.queries import week_activity
from db.queries.tools import tools_by_id_with_reviews
from db.queries.votes import Tally, tallies
from db.queries.week_activity import RequestedPair, VoteMovement
from digest.editorial import headline
from digest.snapshot_model import (
    SNAPSHOT_VERSION,
    Asked,
    Comparison,
    DigestSnapshot,
    Mover,
    Pick,
    ToolEntry,
    VerdictChange,
)
from digest.weeks import Week

# Kept for the modules that name the snapshot type by its old alias.
Snapshot = DigestSnapshot
# Typed names that mail clients and Slack would turn into links (example.com,
# www.x, http://..., a@b): never shown, however many people typed them.
_LINK_SHAPED = re.compile(r"(?i)://|\bwww\.|@|[a-z0-9-]\.[a-z]{2,}\b|\b(?:\d{1,3}\.){3}\d{1,3}\b")
NEW_VERDICTS_SHOWN = 6
COMPARISONS_SHOWN = 5
PICKS_SHOWN = 3
MOVERS_SHOWN = 5
ASKED_SHOWN = 8
# Names typed by one person alone stay out of an email that goes to every subscriber.
ASKED_MIN_PEOPLE = 2
# Below this many votes a ship % swings on one person; not worth a headline.
MOVER_MIN_VOTES = 3
SECTION_KEYS = (
    "new_verdicts",
    "comparisons",
    "most_shipped",
    "most_skipped",
    "movers",
    "verdict_changes",
    "asked_about",
)


async def build_snapshot(
    database: Database, week: Week, *, built_at: datetime | None = None
) -> DigestSnapshot:
    """Everything the issue for ``week`` shows, as the database stands now."""
    start, end = week.start.astimezone(UTC), week.end.astimezone(UTC)
    async with database.read() as session:
        new_ids = await week_activity.reviewed_tool_ids(
            session, week.start.date(), week.end.date(), start, end
        )
        pairs = await week_activity.requested_pairs(session, start, end, COMPARISONS_SHOWN)
        picks = await week_activity.vote_movement(session, start, end)
        changed = await _verdict_changes(session, start, end)
        asked = await _asked_about(session, start, end)
        chosen = _choose_picks_and_movers(picks)
        wanted = set(new_ids[:NEW_VERDICTS_SHOWN])
        wanted |= {i for pair in pairs for i in (pair.first_id, pair.second_id)}
        wanted |= {row.tool_id for rows in chosen.values() for row in rows}
        cards = await _cards(session, wanted | set(changed))
    shown_new = [_tool_entry(cards[i]) for i in new_ids[:NEW_VERDICTS_SHOWN] if i in cards]
    snapshot = DigestSnapshot(
        version=SNAPSHOT_VERSION,
        week=week.label,
        title=week.title,
        built_at=(built_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        new_verdicts=tuple(shown_new),
        new_verdicts_more=max(0, len(new_ids) - NEW_VERDICTS_SHOWN),
        comparisons=_comparisons(pairs, cards),
        most_shipped=tuple(
            _pick(r, cards[r.tool_id]) for r in chosen["most_shipped"] if r.tool_id in cards
        ),
        most_skipped=tuple(
            _pick(r, cards[r.tool_id]) for r in chosen["most_skipped"] if r.tool_id in cards
        ),
        movers=tuple(_mover(r, cards[r.tool_id]) for r in chosen["movers"] if r.tool_id in cards),
        verdict_changes=tuple(
            VerdictChange(cards[i].name, cards[i].slug, before, after)
            for i, (before, after) in changed.items()
            if i in cards
        ),
        asked_about=tuple(asked),
        empty=False,
        top_story="",
    )
    snapshot = replace(snapshot, empty=not any(getattr(snapshot, key) for key in SECTION_KEYS))
    return replace(snapshot, top_story=top_story(snapshot))


def top_story(snapshot: DigestSnapshot) -> str:
    """The lead story's headline (the subject line); digest/editorial.py ranks the stories."""
    return headline(snapshot)


def subject_of(snapshot: DigestSnapshot) -> str:
    return snapshot.subject


# -- reading the week ------------------------------------------------------------------------


async def _verdict_changes(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int, tuple[str, str]]:
    """Tools whose panel verdict differs from what it was when the week began."""
    versions = await week_activity.superseded_verdicts(session, start, end)
    if not versions:
        return {}
    earliest: dict[tuple[int, int], str] = {}
    for row in versions:
        earliest.setdefault((row.tool_id, row.critic_id), row.verdict)
    tool_ids = {tool_id for tool_id, _ in earliest}
    now: dict[int, dict[int, str]] = defaultdict(dict)
    for review in await week_activity.current_verdicts(session, tool_ids):
        now[review.tool_id][review.critic_id] = review.verdict
    changes: dict[int, tuple[str, str]] = {}
    for tool_id in sorted(tool_ids):
        before = dict(now[tool_id])
        before.update({c: v for (t, c), v in earliest.items() if t == tool_id})
        old, new = _panel_word(before.values()), _panel_word(now[tool_id].values())
        if old != new:
            changes[tool_id] = (old, new)
    return changes


def _panel_word(verdicts: Iterable[str]) -> str:
    counted = Counter(verdicts)
    if not counted:
        return "Not reviewed"
    if counted["ship"] == counted["skip"]:
        return "Split"
    return "Ship" if counted["ship"] > counted["skip"] else "Skip"


async def _asked_about(session: AsyncSession, start: datetime, end: datetime) -> list[Asked]:
    """Names people tried to compare that the catalog lacks, most asked first.

    Only names that several people typed count: one person's typo or prank, however
    often repeated, never reaches the newsletter.
    """
    counts: Counter[str] = Counter()
    people: dict[str, set[int | None]] = {}
    shown: dict[str, str] = {}
    for query, person in await week_activity.unknown_names(session, start, end):
        name = " ".join(query.split())[:80]
        if not name or _LINK_SHAPED.search(name):
            continue
        key = name.casefold()
        counts[key] += 1
        people.setdefault(key, set()).add(person)
        shown.setdefault(key, name)
    wanted = [key for key in counts if len(people[key]) >= ASKED_MIN_PEOPLE]
    ranked = sorted(wanted, key=lambda key: (-len(people[key]), -counts[key], key))
    return [Asked(shown[key], counts[key], len(people[key])) for key in ranked[:ASKED_SHOWN]]


async def _cards(session: AsyncSession, ids: set[int]) -> dict[int, ToolCard]:
    if not ids:
        return {}
    tools = await tools_by_id_with_reviews(session, ids)
    counted = await tallies(session, ids)
    return {t.id: tool_card(t, counted.get(t.id, Tally())) for t in tools}


# -- shaping ---------------------------------------------------------------------------------


def _tool_entry(card: ToolCard) -> ToolEntry:
    scores = [line.score for line in card.scorecard]
    return ToolEntry(
        slug=card.slug,
        name=card.name,
        category=card.category,
        best_for=card.best_for,
        url=card.url,
        verdict=card.panel.verdict or "none",
        verdict_label=card.panel.verdict_label,
        ship=card.panel.ship,
        skip=card.panel.skip,
        ship_pct=card.panel.ship_pct,
        score_min=min(scores) if scores else None,
        score_max=max(scores) if scores else None,
        score_avg=round(card.panel.average_score, 1) if card.panel.average_score else None,
        community=card.community.label,
        community_pct=card.community.ship_pct,
    )


def _comparisons(pairs: list[RequestedPair], cards: dict[int, ToolCard]) -> tuple[Comparison, ...]:
    out = []
    for a, b, requests, people in pairs:
        if a not in cards or b not in cards:
            continue
        first, second = cards[a], cards[b]
        out.append(
            Comparison(
                first=first.name,
                second=second.name,
                first_slug=first.slug,
                second_slug=second.slug,
                requests=requests,
                decision=decision(first, second),
                first_panel=first.panel.label,
                second_panel=second.panel.label,
                people=people,
            )
        )
    return tuple(out)


def _pct(ship: int, total: int) -> int | None:
    return None if total == 0 else round(100 * ship / total)


def _choose_picks_and_movers(rows: list[VoteMovement]) -> dict[str, list[VoteMovement]]:
    """Pick the rows worth showing before loading any cards (there may be thousands)."""
    shipped = sorted(
        (r for r in rows if r.week_ship and r.week_ship >= r.week_skip),
        key=lambda r: (-r.week_ship, r.week_skip, r.tool_id),
    )
    skipped = sorted(
        (r for r in rows if r.week_skip > r.week_ship),
        key=lambda r: (-r.week_skip, r.week_ship, r.tool_id),
    )
    movers = []
    for row in rows:
        old, new = _pct(row.ship_before, row.total_before), _pct(row.ship_at_end, row.total_at_end)
        if (
            old is not None
            and new is not None
            and row.total_at_end >= MOVER_MIN_VOTES
            and old != new
        ):
            movers.append((abs(new - old), row))
    movers.sort(key=lambda m: (-m[0], m[1].tool_id))
    return {
        "most_shipped": shipped[:PICKS_SHOWN],
        "most_skipped": skipped[:PICKS_SHOWN],
        "movers": [row for _, row in movers[:MOVERS_SHOWN]],
    }


def _pick(row: VoteMovement, card: ToolCard) -> Pick:
    return Pick(card.name, card.slug, row.week_ship, row.week_skip, card.community.label)


def _mover(row: VoteMovement, card: ToolCard) -> Mover:
    old = _pct(row.ship_before, row.total_before) or 0
    new = _pct(row.ship_at_end, row.total_at_end) or 0
    return Mover(card.name, card.slug, old, new, new - old, row.total_at_end)
