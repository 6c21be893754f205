"""The issue's editorial choices: which story leads, the subject line and the preheader.

Every candidate story gets a score, and the highest leads; review dates play no part.
The scale, highest first:

- **Verdict flip** (the panel's word changed this week): 100 between Ship and Skip,
  95 to or from Split. A flip is the week's biggest news whenever there is one.
- **Mover** (community Ship % moved): 50 + half the move in points, so a 30-point
  swing scores 65 and beats a split review, a 10-point one (55) does not.
- **New review that splits the panel**: 60 + the number of critics (at most 9).
- **Other new review**: 40 + the number of critics (at most 9).
- **Most requested comparison**: 30 + requests (at most 9).
- **Community pick** (most shipped this week): 20 + Ship votes (at most 9).
- **Names asked about, not reviewed**: 10; the names themselves are typed by anyone
  and never reach a subject line, only their count.

Ties keep the snapshot's own order. The subject is the lead's headline in plain words:
no week code (the archive and the body carry the date) and no brand (the From name
does), at most ``SUBJECT_MAX`` characters. The preheader is the second story, so the
inbox shows two stories, never the subject twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from digest.snapshot_model import DigestSnapshot
from digest.wording import plural

SUBJECT_MAX = 60
PREHEADER_MAX = 140
QUIET_HEADLINE = "A quiet week"


@dataclass(frozen=True, slots=True)
class Story:
    """One candidate for the lead: a headline (subject-sized) and a one-line detail."""

    kind: str  # "flip", "mover", "split", "review", "comparison", "pick", "asked"
    score: float
    headline: str
    detail: str


def _fit(name: str, *shapes: str, limit: int = SUBJECT_MAX) -> str:
    """The first shape (``{}`` marks the name) that fits ``limit`` with the whole name,
    else the last one with the name shortened."""
    for shape in shapes:
        if len(text := shape.format(name)) <= limit:
            return text
    room = limit - len(shapes[-1].format(""))
    return shapes[-1].format(name[: max(1, room - 1)].rstrip() + "…")


def _flips(s: DigestSnapshot) -> Iterator[Story]:
    for ch in s.verdict_changes:
        hard = {ch.before, ch.after} == {"Ship", "Skip"}
        if ch.before == "Ship":
            headline = _fit(ch.name, "{} loses its Ship")
        elif ch.after == "Ship":
            headline = _fit(ch.name, "{} wins a Ship from the panel", "{} wins a Ship")
        elif ch.after == "Skip":
            headline = _fit(ch.name, "The panel now skips {}")
        else:
            headline = _fit(ch.name, "{} now splits the panel")
        detail = f"{ch.name}: panel verdict {ch.before} → {ch.after}"
        yield Story("flip", 100 if hard else 95, headline, detail)


def _movers(s: DigestSnapshot) -> Iterator[Story]:
    for m in s.movers:
        move = f"{'climbs' if m.delta > 0 else 'falls'} {plural(abs(m.delta), 'point')}"
        headline = _fit(m.name, f"{{}} {move} with voters", f"{{}} {move}")
        detail = (
            f"{m.name}: {m.before_pct}% → {m.after_pct}% Ship with voters "
            f"({plural(m.votes, 'vote')})"
        )
        yield Story("mover", 50 + abs(m.delta) / 2, headline, detail)


def _reviews(s: DigestSnapshot) -> Iterator[Story]:
    for t in s.new_verdicts:
        critics = t.ship + t.skip
        if t.verdict == "split":
            headline = _fit(t.name, f"{{}} splits the panel {t.ship}–{t.skip}")
            yield Story("split", 60 + min(critics, 9), headline, f"New review: {headline}")
            continue
        if t.verdict == "ship":
            headline = _fit(t.name, f"The panel ships {{}} {t.ship}–{t.skip}")
        elif t.verdict == "skip":
            headline = _fit(t.name, f"The panel skips {{}} {t.skip}–{t.ship}")
        else:
            headline = _fit(t.name, "New on the panel: {}")
        yield Story("review", 40 + min(critics, 9), headline, f"New review: {headline}")


def _comparisons(s: DigestSnapshot) -> Iterator[Story]:
    for c in s.comparisons:
        pair = f"{c.first} vs {c.second}"
        headline = _fit(pair, "{}: your most asked comparison", "{}")
        detail = f"{pair}, asked {plural(c.requests, 'time')}"
        yield Story("comparison", 30 + min(c.requests, 9), headline, detail)


def _picks(s: DigestSnapshot) -> Iterator[Story]:
    for p in s.most_shipped[:1]:
        headline = _fit(p.name, "Voters' top Ship this week: {}", "Voters ship {}")
        detail = f"Most shipped by voters: {p.name} ({plural(p.ship, 'Ship vote')})"
        yield Story("pick", 20 + min(p.ship, 9), headline, detail)


def _asked(s: DigestSnapshot) -> Iterator[Story]:
    if s.asked_about:
        count = plural(len(s.asked_about), "tool")
        yield Story(
            "asked", 10, f"{count} you asked about, not yet reviewed", f"{count} you asked about"
        )


def stories(snapshot: DigestSnapshot) -> list[Story]:
    """Every candidate story, best first (stable: ties keep the snapshot's order)."""
    found = [
        story
        for source in (_flips, _movers, _reviews, _comparisons, _picks, _asked)
        for story in source(snapshot)
    ]
    return sorted(found, key=lambda story: -story.score)


def headline(snapshot: DigestSnapshot) -> str:
    """The lead story in plain words: what the subject line says."""
    ranked = stories(snapshot)
    return ranked[0].headline if ranked else QUIET_HEADLINE


def preheader(snapshot: DigestSnapshot) -> str:
    """The inbox preview line: the second story, or what else the issue holds."""
    ranked = stories(snapshot)
    if len(ranked) > 1:
        text = "Also: " + ranked[1].detail
        rest = len(ranked) - 2
        if rest:
            text += f", and {plural(rest, 'more story', 'more stories')}"
    elif ranked:
        text = f"{snapshot.title}: the panel's verdicts and the community's votes"
    else:
        text = f"{snapshot.title}: nothing new from the panel or the community"
    return text if len(text) <= PREHEADER_MAX else text[: PREHEADER_MAX - 1].rstrip() + "…"
