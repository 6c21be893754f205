"""The week's snapshot: what one digest issue says, built once from the database.

The snapshot is plain JSON-able data. Email, chat posts and the web archive all
render it, so they always agree, and a re-send shows exactly what the first send did.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.cards import decision, tool_card
from bot.core.views import ToolCard
from db.engine import Database
from db.models import CompareRequest, Review, ReviewVersion, Tool, Vote
from db.queries.votes import Tally
from digest.weeks import Week

Snapshot = dict[str, Any]
# (tool id, week ship, week skip, ship before, total before, ship at end, total at end)
VoteRow = tuple[int, int, int, int, int, int, int]
SNAPSHOT_VERSION = 1
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
) -> Snapshot:
    """Everything the issue for ``week`` shows, as the database stands now."""
    start, end = week.start.astimezone(UTC), week.end.astimezone(UTC)
    async with database.read() as session:
        new_ids = await _new_verdict_tool_ids(session, week, start, end)
        pairs = await _requested_pairs(session, start, end)
        picks = await _vote_movement(session, start, end)
        changed = await _verdict_changes(session, start, end)
        asked = await _asked_about(session, start, end)
        chosen = _choose_picks_and_movers(picks)
        wanted = set(new_ids[:NEW_VERDICTS_SHOWN]) | {i for pair, _ in pairs for i in pair}
        wanted |= {row[0] for rows in chosen.values() for row in rows}
        cards = await _cards(session, wanted | set(changed))
    snapshot: Snapshot = {
        "version": SNAPSHOT_VERSION,
        "week": week.label,
        "title": week.title,
        "built_at": (built_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "new_verdicts": [_tool_entry(cards[i]) for i in new_ids[:NEW_VERDICTS_SHOWN] if i in cards],
        "new_verdicts_more": max(0, len(new_ids) - NEW_VERDICTS_SHOWN),
        "comparisons": _comparisons(pairs, cards),
        **_picks_and_movers(chosen, cards),
        "verdict_changes": [
            {"name": cards[i].name, "slug": cards[i].slug, "before": before, "after": after}
            for i, (before, after) in changed.items()
            if i in cards
        ],
        "asked_about": asked,
    }
    snapshot["empty"] = not any(snapshot[key] for key in SECTION_KEYS)
    snapshot["top_story"] = top_story(snapshot)
    return snapshot


def top_story(snapshot: Snapshot) -> str:
    """One short phrase for the subject line."""
    if snapshot["new_verdicts"]:
        first = snapshot["new_verdicts"][0]
        story = f"{first['name']}: {first['verdict_label']} ({first['ship']}–{first['skip']})"
        others = len(snapshot["new_verdicts"]) - 1 + snapshot["new_verdicts_more"]
        return story + (f" and {others} more verdicts" if others else "")
    if snapshot["comparisons"]:
        top = snapshot["comparisons"][0]
        return f"{top['first']} vs {top['second']}"
    if snapshot["verdict_changes"]:
        change = snapshot["verdict_changes"][0]
        return f"{change['name']} flips to {change['after']}"
    if snapshot["movers"]:
        return f"{snapshot['movers'][0]['name']} moves {snapshot['movers'][0]['delta']:+d} pts"
    if snapshot["most_shipped"]:
        return f"Community pick: {snapshot['most_shipped'][0]['name']}"
    if snapshot["asked_about"]:
        return f"You asked about {snapshot['asked_about'][0]['name']}"
    return "a quiet week"


def subject_of(snapshot: Snapshot) -> str:
    return f"Ship or Skip {snapshot['week']}: {snapshot['top_story']}"


# -- queries ---------------------------------------------------------------------------------


async def _new_verdict_tool_ids(
    session: AsyncSession, week: Week, start: datetime, end: datetime
) -> list[int]:
    """Tools reviewed (catalog date in the week) or re-reviewed (a version superseded)."""
    monday, next_monday = week.start.date(), week.end.date()
    reviewed = (
        select(Review.tool_id, func.max(Review.reviewed).label("latest"))
        .where(Review.reviewed >= monday, Review.reviewed < next_monday)
        .group_by(Review.tool_id)
    )
    rows = (await session.execute(reviewed)).all()
    latest = {r.tool_id: str(r.latest) for r in rows}
    re_reviewed = select(ReviewVersion.tool_id).where(
        ReviewVersion.superseded_at >= start, ReviewVersion.superseded_at < end
    )
    for tool_id in (await session.scalars(re_reviewed.distinct())).all():
        latest.setdefault(tool_id, "")
    # Most recently reviewed first; ties by id keep the order stable across rebuilds.
    return sorted(latest, key=lambda i: (latest[i], -i), reverse=True)


async def _requested_pairs(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[tuple[int, int], int]]:
    first = case(
        (
            CompareRequest.first_tool_id < CompareRequest.second_tool_id,
            CompareRequest.first_tool_id,
        ),
        else_=CompareRequest.second_tool_id,
    )
    second = case(
        (
            CompareRequest.first_tool_id < CompareRequest.second_tool_id,
            CompareRequest.second_tool_id,
        ),
        else_=CompareRequest.first_tool_id,
    )
    # Distinct people, not requests: one person asking three times is one asker.
    count = func.count(func.distinct(CompareRequest.person_id)).label("n")
    query = (
        select(first.label("a"), second.label("b"), count)
        .where(
            CompareRequest.created_at >= start,
            CompareRequest.created_at < end,
            CompareRequest.first_tool_id.is_not(None),
            CompareRequest.second_tool_id.is_not(None),
            CompareRequest.first_tool_id != CompareRequest.second_tool_id,
        )
        .group_by(first, second)
        .order_by(count.desc(), first, second)
        .limit(COMPARISONS_SHOWN)
    )
    return [((int(r.a), int(r.b)), int(r.n)) for r in await session.execute(query)]


async def _vote_movement(session: AsyncSession, start: datetime, end: datetime) -> list[VoteRow]:
    """Per tool voted on this week: a VoteRow (see its comment).

    Votes are upserted, so a vote's earlier verdict is gone; but an unchanged vote is
    never rewritten, so a vote created before a moment and updated after it had the
    other verdict at that moment. Only votes touched since the week began are read
    (by the updated_at index); current totals come from the (tool, verdict) index.
    """
    ship, skip = Vote.verdict == "ship", Vote.verdict == "skip"

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    touched = await session.execute(
        select(
            Vote.tool_id,
            total(and_(Vote.updated_at < end, ship)),
            total(and_(Vote.updated_at < end, skip)),
            total(ship),
            total(and_(Vote.created_at < start, skip)),
            total(Vote.created_at >= start),
            total(and_(Vote.updated_at >= end, ship)),
            total(and_(Vote.created_at < end, Vote.updated_at >= end, skip)),
            total(Vote.created_at >= end),
        )
        .where(Vote.updated_at >= start)
        .group_by(Vote.tool_id)
    )
    changes = {int(r[0]): [int(v or 0) for v in r[1:]] for r in touched}
    if not changes:
        return []
    current: dict[int, tuple[int, int]] = {}
    totals = select(Vote.tool_id, total(ship), func.count()).group_by(Vote.tool_id)
    if len(changes) < 1000:
        totals = totals.where(Vote.tool_id.in_(list(changes)))
    for row in await session.execute(totals):
        current[int(row[0])] = (int(row[1] or 0), int(row[2] or 0))
    rows: list[VoteRow] = []
    for tool_id, (ws, wk, moved_ship, was_ship, new_since_start, late_ship, late_was_ship,
                  new_since_end) in changes.items():  # fmt: skip
        now_ship, now_total = current.get(tool_id, (0, 0))
        rows.append(
            (
                tool_id,
                ws,
                wk,
                now_ship - moved_ship + was_ship,
                now_total - new_since_start,
                now_ship - late_ship + late_was_ship,
                now_total - new_since_end,
            )
        )
    return rows


async def _verdict_changes(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int, tuple[str, str]]:
    """Tools whose panel verdict differs from what it was when the week began."""
    versions = (
        await session.execute(
            select(
                ReviewVersion.tool_id,
                ReviewVersion.critic_id,
                ReviewVersion.verdict,
                ReviewVersion.superseded_at,
            )
            .where(ReviewVersion.superseded_at >= start, ReviewVersion.superseded_at < end)
            .order_by(ReviewVersion.superseded_at, ReviewVersion.id)
        )
    ).all()
    if not versions:
        return {}
    earliest: dict[tuple[int, int], str] = {}
    for row in versions:
        earliest.setdefault((row.tool_id, row.critic_id), row.verdict)
    tool_ids = {tool_id for tool_id, _ in earliest}
    current = (
        await session.execute(
            select(Review.tool_id, Review.critic_id, Review.verdict).where(
                Review.tool_id.in_(tool_ids)
            )
        )
    ).all()
    now: dict[int, dict[int, str]] = defaultdict(dict)
    for review in current:
        now[review.tool_id][review.critic_id] = review.verdict
    changes: dict[int, tuple[str, str]] = {}
    for tool_id in sorted(tool_ids):
        before = dict(now[tool_id])
        before.update({c: v for (t, c), v in earliest.items() if t == tool_id})
        old, new = _panel_word(before.values()), _panel_word(now[tool_id].values())
        if old != new:
            changes[tool_id] = (old, new)
    return changes


def _panel_word(verdicts: Any) -> str:
    counted = Counter(verdicts)
    if not counted:
        return "Not reviewed"
    if counted["ship"] == counted["skip"]:
        return "Split"
    return "Ship" if counted["ship"] > counted["skip"] else "Skip"


def asked_by(people: int) -> str:
    """'asked by 1 person', 'asked by 3 people': how the digest counts a crowd."""
    return f"asked by {people} {'person' if people == 1 else 'people'}"


async def _asked_about(
    session: AsyncSession, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Names people tried to compare that the catalog lacks, most asked first.

    Only names that several people typed count: one person's typo or prank, however
    often repeated, never reaches the newsletter.
    """
    window = (CompareRequest.created_at >= start, CompareRequest.created_at < end)
    # The person, not the account: a server and a DM of one Discord user are one asker.
    who = (CompareRequest.person_id,)
    names = (
        select(CompareRequest.first_query.label("q"), *who)
        .where(*window, CompareRequest.first_tool_id.is_(None))
        .union_all(
            select(CompareRequest.second_query.label("q"), *who).where(
                *window, CompareRequest.second_tool_id.is_(None)
            )
        )
    )
    counts: Counter[str] = Counter()
    people: dict[str, set[int | None]] = {}
    shown: dict[str, str] = {}
    for query, person in await session.execute(names):
        name = " ".join(str(query).split())[:80]
        if not name:
            continue
        key = name.casefold()
        counts[key] += 1
        people.setdefault(key, set()).add(person)
        shown.setdefault(key, name)
    wanted = [key for key in counts if len(people[key]) >= ASKED_MIN_PEOPLE]
    ranked = sorted(wanted, key=lambda key: (-len(people[key]), -counts[key], key))
    return [
        {
            "name": shown[key],
            "requests": counts[key],
            "people": len(people[key]),
            "asked_by": asked_by(len(people[key])),
        }
        for key in ranked[:ASKED_SHOWN]
    ]


async def _cards(session: AsyncSession, ids: set[int]) -> dict[int, ToolCard]:
    if not ids:
        return {}
    tools = (
        await session.scalars(
            select(Tool)
            .where(Tool.id.in_(ids))
            .options(selectinload(Tool.reviews).selectinload(Review.critic))
        )
    ).all()
    ship = func.sum(case((Vote.verdict == "ship", 1), else_=0))
    skip = func.sum(case((Vote.verdict == "skip", 1), else_=0))
    rows = await session.execute(
        select(Vote.tool_id, ship, skip).where(Vote.tool_id.in_(ids)).group_by(Vote.tool_id)
    )
    tallies = {r[0]: Tally(int(r[1] or 0), int(r[2] or 0)) for r in rows}
    return {t.id: tool_card(t, tallies.get(t.id, Tally())) for t in tools}


# -- shaping ---------------------------------------------------------------------------------


def _tool_entry(card: ToolCard) -> dict[str, Any]:
    scores = [line.score for line in card.scorecard]
    return {
        "slug": card.slug,
        "name": card.name,
        "category": card.category,
        "best_for": card.best_for,
        "url": card.url,
        "verdict": card.panel.verdict or "none",
        "verdict_label": card.panel.verdict_label,
        "ship": card.panel.ship,
        "skip": card.panel.skip,
        "ship_pct": card.panel.ship_pct,
        "score_min": min(scores) if scores else None,
        "score_max": max(scores) if scores else None,
        "score_avg": round(card.panel.average_score, 1) if card.panel.average_score else None,
        "community": card.community.label,
        "community_pct": card.community.ship_pct,
    }


def _comparisons(
    pairs: list[tuple[tuple[int, int], int]], cards: dict[int, ToolCard]
) -> list[dict[str, Any]]:
    out = []
    for (a, b), requests in pairs:
        if a not in cards or b not in cards:
            continue
        first, second = cards[a], cards[b]
        out.append(
            {
                "first": first.name,
                "second": second.name,
                "first_slug": first.slug,
                "second_slug": second.slug,
                "requests": requests,
                "people": requests,
                "asked_by": asked_by(requests),
                "decision": decision(first, second),
                "first_panel": first.panel.label,
                "second_panel": second.panel.label,
            }
        )
    return out


def _pct(ship: int, total: int) -> int | None:
    return None if total == 0 else round(100 * ship / total)


def _choose_picks_and_movers(rows: list[VoteRow]) -> dict[str, list[VoteRow]]:
    """Pick the rows worth showing before loading any cards (there may be thousands)."""
    shipped = sorted((r for r in rows if r[1] and r[1] >= r[2]), key=lambda r: (-r[1], r[2], r[0]))
    skipped = sorted((r for r in rows if r[2] > r[1]), key=lambda r: (-r[2], r[1], r[0]))
    movers = []
    for row in rows:
        old, new = _pct(row[3], row[4]), _pct(row[5], row[6])
        if old is not None and new is not None and row[6] >= MOVER_MIN_VOTES and old != new:
            movers.append((abs(new - old), row))
    movers.sort(key=lambda m: (-m[0], m[1][0]))
    return {
        "most_shipped": shipped[:PICKS_SHOWN],
        "most_skipped": skipped[:PICKS_SHOWN],
        "movers": [row for _, row in movers[:MOVERS_SHOWN]],
    }


def _picks_and_movers(
    chosen: dict[str, list[VoteRow]], cards: dict[int, ToolCard]
) -> dict[str, list[dict[str, Any]]]:
    def pick(row: VoteRow) -> dict[str, Any]:
        card = cards[row[0]]
        return {
            "name": card.name,
            "slug": card.slug,
            "ship": row[1],
            "skip": row[2],
            "community": card.community.label,
        }

    def mover(row: VoteRow) -> dict[str, Any]:
        old, new = _pct(row[3], row[4]) or 0, _pct(row[5], row[6]) or 0
        return {
            "name": cards[row[0]].name,
            "slug": cards[row[0]].slug,
            "before_pct": old,
            "after_pct": new,
            "delta": new - old,
            "votes": row[6],
        }

    return {
        "most_shipped": [pick(r) for r in chosen["most_shipped"] if r[0] in cards],
        "most_skipped": [pick(r) for r in chosen["most_skipped"] if r[0] in cards],
        "movers": [mover(r) for r in chosen["movers"] if r[0] in cards],
    }
