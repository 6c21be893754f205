"""Brigade visibility: per-tool vote activity, newcomers' share, and spikes.

Votes are upserted, so a vote's ``updated_at`` is when it was last cast or changed:
the report counts those moments. "New" means a person first seen inside the window.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person, Tool, Vote, utcnow

# A tool is flagged when its last-24h votes exceed SPIKE_FACTOR times its daily baseline
# (the window's earlier days), and are at least SPIKE_MIN: a quiet tool's 3 votes are not news.
SPIKE_FACTOR = 3.0
SPIKE_MIN = 10


@dataclass(frozen=True, slots=True)
class ToolVotes:
    slug: str
    name: str
    per_day: tuple[int, ...]  # oldest day first; the last entry is the last 24 hours
    new_share: float  # of the window's votes, cast by people first seen in the window
    top_place: str  # "platform:workspace" that cast the most
    top_share: float
    baseline_per_day: float
    spike: bool

    @property
    def total(self) -> int:
        return sum(self.per_day)

    @property
    def last_24h(self) -> int:
        return self.per_day[-1]


async def vote_report(
    session: AsyncSession, days: int = 7, *, now: datetime | None = None
) -> list[ToolVotes]:
    """Every tool voted on in the last ``days`` days, most votes first."""
    moment = now or utcnow()
    days = max(days, 1)
    start = moment - timedelta(days=days)
    rows = await session.execute(
        select(
            Tool.slug,
            Tool.name,
            Vote.updated_at,
            Vote.platform,
            Vote.workspace,
            Person.created_at,
        )
        .join(Tool, Tool.id == Vote.tool_id)
        .join(Person, Person.id == Vote.person_id)
        .where(Vote.updated_at >= start)
    )
    names: dict[str, str] = {}
    buckets: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    places: dict[str, Counter[str]] = defaultdict(Counter)
    newcomers: Counter[str] = Counter()
    for slug, name, at, platform, workspace, first_seen in rows:
        names[slug] = name
        age = moment - _aware(at)
        day = min(int(age / timedelta(days=1)), days - 1)
        buckets[slug][days - 1 - day] += 1
        places[slug][f"{platform}:{workspace}"] += 1
        if _aware(first_seen) >= start:
            newcomers[slug] += 1
    report = []
    for slug, counts in buckets.items():
        total = sum(counts)
        place, top = places[slug].most_common(1)[0]
        baseline = sum(counts[:-1]) / max(days - 1, 1)
        last = counts[-1]
        report.append(
            ToolVotes(
                slug=slug,
                name=names[slug],
                per_day=tuple(counts),
                new_share=newcomers[slug] / total,
                top_place=place,
                top_share=top / total,
                baseline_per_day=baseline,
                spike=last >= SPIKE_MIN and last > SPIKE_FACTOR * baseline,
            )
        )
    return sorted(report, key=lambda t: (-t.total, t.slug))


def _aware(moment: datetime) -> datetime:
    # SQLite returns timestamps without a zone; we only ever store UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
