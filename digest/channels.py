"""The weekly post in opted-in Discord and Slack channels, from the same snapshot.

``digest_post`` builds the chat version; ``digest.channel_posts`` posts it, once per
channel, claimed and recorded like email deliveries. Email never waits for it.
"""

from __future__ import annotations

import logging

from bot.core.text import shorten
from bot.core.views import DigestItem, DigestPost, DigestSection
from digest.render import archive_url, web_url
from digest.snapshot_model import DigestSnapshot
from digest.wording import number, plural

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
ITEMS_PER_SECTION = 5


def digest_post(snapshot: DigestSnapshot, public_url: str) -> DigestPost:
    """The chat version: short sections, plain text (each front end escapes and limits it)."""
    sections: list[DigestSection] = []
    old = snapshot.version < 2  # stored before people were counted: its counts are requests

    def add(title: str, items: list[DigestItem]) -> None:
        if items:
            sections.append(DigestSection(title, tuple(items[:ITEMS_PER_SECTION])))

    add(
        "New verdicts",
        [
            DigestItem(
                t.name,
                f"{t.verdict_label} · {t.ship} ship / {t.skip} skip"
                + (
                    f" · scores {number(t.score_min)}–{number(t.score_max)}"
                    if t.score_min is not None
                    else ""
                ),
                web_url(t.url) or None,
            )
            for t in snapshot.new_verdicts
        ],
    )
    add(
        "Most requested comparisons",
        [
            DigestItem(
                f"{c.first} vs {c.second}",
                # Issues stored before people were counted (v1) showed the decision alone.
                shorten(c.decision if old else f"{c.asked_by} · {c.decision}", 200),
            )
            for c in snapshot.comparisons
        ],
    )
    add(
        "Community picks",
        [
            DigestItem(p.name, f"most shipped: {p.ship} ship / {p.skip} skip")
            for p in snapshot.most_shipped
        ]
        + [
            DigestItem(p.name, f"most skipped: {p.ship} ship / {p.skip} skip")
            for p in snapshot.most_skipped
        ],
    )
    add(
        "Movers",
        [
            DigestItem(c.name, f"panel verdict {c.before} → {c.after}")
            for c in snapshot.verdict_changes
        ]
        + [
            DigestItem(
                m.name,
                f"community {m.before_pct}% → {m.after_pct}% ship ({plural(m.votes, 'vote')})",
            )
            for m in snapshot.movers
        ],
    )
    add(
        "Asked about, not yet reviewed",
        [
            DigestItem(a.name, f"asked {plural(a.requests, 'time')}" if old else a.asked_by)
            for a in snapshot.asked_about
        ],
    )
    # A quiet week is not mailed; channels get this one line (and the archive link).
    intro = (
        "A quiet week: nothing new from the panel or the community."
        if snapshot.empty
        else f"This week: {snapshot.top_story}."
    )
    return DigestPost(
        week=snapshot.week,
        title=f"Ship or Skip weekly verdicts · {snapshot.title}",
        intro=intro,
        sections=tuple(sections),
        archive_url=archive_url(public_url, snapshot.week),
    )
