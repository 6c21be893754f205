"""The weekly post in opted-in Discord and Slack channels, from the same snapshot.

Each (issue, channel) gets a channel_posts row; a failed post is retried with
backoff and later runs pick up what is still unposted. Email never waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.core.ports import ChannelPoster
from bot.core.text import shorten
from bot.core.views import DigestItem, DigestPost, DigestSection
from db.engine import Database
from db.queries import channel_posts
from db.queries.channel_posts import ChannelKey, PostRow
from db.queries.channels import digest_channels
from digest.issues import Issue
from digest.render import archive_url, web_url
from digest.snapshot_model import DigestSnapshot
from digest.wording import number, plural

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
ITEMS_PER_SECTION = 5


def digest_post(snapshot: DigestSnapshot, public_url: str) -> DigestPost:
    """The chat version: short sections, plain text (each front end escapes and limits it)."""
    sections: list[DigestSection] = []

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
            DigestItem(f"{c.first} vs {c.second}", shorten(c.decision, 200))
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
        [DigestItem(a.name, f"asked {plural(a.requests, 'time')}") for a in snapshot.asked_about],
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


async def _ensure_rows(database: Database, issue_id: int) -> None:
    async with database.read() as session:
        channels = await digest_channels(session)
        known = {
            ChannelKey(p.platform, p.workspace, p.channel_id)
            for p in await channel_posts.posts_of_issue(session, issue_id)
        }
    missing = [
        key
        for key in (ChannelKey(c.platform, c.workspace, c.channel_id) for c in channels)
        if key not in known
    ]
    if missing:
        async with database.write() as session:
            await channel_posts.add_missing_posts(session, issue_id, missing)


async def post_issue(
    database: Database,
    issue: Issue,
    posters: Mapping[str, ChannelPoster],
    public_url: str,
    *,
    rounds: int = 3,
    base_delay_s: float = 5.0,
) -> dict[str, int]:
    """Post the issue to every opted-in channel whose platform is running; never raises."""
    post = digest_post(issue.snapshot, public_url)
    counts = {"posted": 0, "failed": 0, "waiting": 0}
    try:
        await _ensure_rows(database, issue.id)
        for round_number in range(rounds):
            if round_number:
                await asyncio.sleep(base_delay_s * 2 ** (round_number - 1))
            async with database.read() as session:
                waiting = await channel_posts.posts_to_retry(session, issue.id, MAX_ATTEMPTS)
            waiting = [row for row in waiting if row.platform in posters]
            if not waiting:
                break
            for row in waiting:
                await _post_one(database, row, posters[row.platform], post)
        async with database.read() as session:
            for row in await channel_posts.posts_of_issue(session, issue.id):
                key = "posted" if row.status == "posted" else "failed"
                if row.status != "posted" and row.platform not in posters:
                    key = "waiting"
                counts[key] += 1
    except Exception:
        log.exception("channel posts for %s stopped early", issue.week)
    return counts


async def _post_one(
    database: Database, row: PostRow, poster: ChannelPoster, post: DigestPost
) -> None:
    error: str | None = None
    try:
        await poster.post_digest(row.workspace, row.channel_id, post)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("digest post to %s %s failed: %s", row.platform, row.channel_id, error)
    async with database.write() as session:
        await channel_posts.record_post(session, row.id, error)
