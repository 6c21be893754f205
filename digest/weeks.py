"""ISO weeks in the digest's time zone: labels like ``2026-W47`` and their bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week; ``start`` and ``end`` are aware datetimes (end exclusive)."""

    year: int
    number: int
    zone: str = "UTC"

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time(), tzinfo=ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.monday + timedelta(days=7), time(), tzinfo=ZoneInfo(self.zone))

    @property
    def title(self) -> str:
        """``Week 47, 16–22 Nov 2026`` for people."""
        sunday = self.monday + timedelta(days=6)
        first = f"{self.monday.day} {self.monday:%b}" if self.monday.month != sunday.month else ""
        span = f"{first or self.monday.day}–{sunday.day} {sunday:%b %Y}"
        return f"Week {self.number}, {span}"


def parse_week(text: str, zone: str = "UTC") -> Week:
    """``2026-W47`` → Week; ValueError with a readable message otherwise."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W47")
    year, number = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {year} has no week {number}") from exc
    return Week(year, number, zone)


def week_of(moment: datetime, zone: str = "UTC") -> Week:
    local = moment.astimezone(ZoneInfo(zone))
    year, number, _ = local.isocalendar()
    return Week(year, number, zone)


def last_complete_week(now: datetime | None = None, zone: str = "UTC") -> Week:
    """The most recent ISO week that had ended by ``now``: what a digest sent now covers."""
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    return week_of(moment - timedelta(days=7), zone)


def week_problem(week: Week, now: datetime, first_day: date | None) -> str | None:
    """Why an issue for ``week`` must not be built or sent now, or None if it may.

    A week still running would be stored half-empty and later sent as "already built";
    a future week has nothing yet; a week before the first tool, review or vote is empty
    by construction (and usually a typo, like 1999).
    """
    if week.end > now:
        current = week_of(now, week.zone)
        when = "the current week" if week == current else "in the future"
        return (
            f"{week.label} is {when}: it ends {week.end:%Y-%m-%d %H:%M} {week.zone}; "
            f"the last complete week is {last_complete_week(now, week.zone).label}"
        )
    if first_day is None:
        return f"{week.label}: there is no data yet (no tool, review or vote)"
    if week.end.date() <= first_day:
        return f"{week.label} ends before the first data ({first_day:%Y-%m-%d})"
    return None
