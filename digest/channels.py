"""The weekly post in opted-in Discord and Slack channels, from the same snapshot.

Each (issue, channel) gets a channel_posts row; a failed post is retried with
backoff and later runs pick up what is still unposted. Email never waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.core.ports import ChannelPoster
from bot.core.text import shorten
from bot.core.views import DigestItem, DigestPost, DigestSection
from db.digest_models import ChannelPost
from db.engine import Database
from db.models import utcnow
from db.queries.channels import digest_channels
from digest.issues import Issue
from digest.render import archive_url, web_url
from digest.snapshot import Snapshot

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
ITEMS_PER_SECTION = 5


def digest_post(snapshot: Snapshot, public_url: str) -> DigestPost:
    """The chat version: short sections, plain text (each front end escapes and limits it)."""
    sections: list[DigestSection] = []

    def add(title: str, items: list[DigestItem]) -> None:
        if items:
            sections.append(DigestSection(title, tuple(items[:ITEMS_PER_SECTION])))

    add(
        "New verdicts",
        [
            DigestItem(
                t["name"],
                f"{t['verdict_label']} · {t['ship']} ship / {t['skip']} skip"
                + (f" · scores {t['score_min']}–{t['score_max']}" if t["score_min"] else ""),
                web_url(t.get("url")) or None,
            )
            for t in snapshot["new_verdicts"]
        ],
    )
    add(
        "Most requested comparisons",
        [
            DigestItem(
                f"{c['first']} vs {c['second']}",
                shorten(f"{_asked_by(c)} · {c['decision']}", 200),
            )
            for c in snapshot["comparisons"]
        ],
    )
    add(
        "Community picks",
        [
            DigestItem(p["name"], f"most shipped: {p['ship']} ship / {p['skip']} skip")
            for p in snapshot["most_shipped"]
        ]
        + [
            DigestItem(p["name"], f"most skipped: {p['ship']} ship / {p['skip']} skip")
            for p in snapshot["most_skipped"]
        ],
    )
    add(
        "Movers",
        [
            DigestItem(c["name"], f"panel verdict {c['before']} → {c['after']}")
            for c in snapshot["verdict_changes"]
        ]
        + [
            DigestItem(m["name"], f"community {m['before_pct']}% → {m['after_pct']}% ship")
            for m in snapshot["movers"]
        ],
    )
    add(
        "Asked about, not yet reviewed",
        [DigestItem(a["name"], _asked_by(a)) for a in snapshot["asked_about"]],
    )
    intro = (
        "A quiet week: nothing new from the panel or the community."
        if snapshot["empty"]
        else f"This week: {snapshot['top_story']}."
    )
    return DigestPost(
        week=snapshot["week"],
        title=f"Ship or Skip weekly verdicts · {snapshot['title']}",
        intro=intro,
        sections=tuple(sections),
        archive_url=archive_url(public_url, snapshot["week"]),
    )


async def _ensure_rows(database: Database, issue_id: int) -> None:
    async with database.read() as session:
        channels = await digest_channels(session)
        known = {
            (p.platform, p.workspace, p.channel_id)
            for p in await session.scalars(
                select(ChannelPost).where(ChannelPost.issue_id == issue_id)
            )
        }
    for channel in channels:
        key = (channel.platform, channel.workspace, channel.channel_id)
        if key in known:
            continue
        try:
            async with database.write() as session:
                session.add(
                    ChannelPost(
                        issue_id=issue_id,
                        platform=channel.platform,
                        workspace=channel.workspace,
                        channel_id=channel.channel_id,
                    )
                )
        except IntegrityError:
            pass  # another process added it first


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
                waiting = list(
                    await session.scalars(
                        select(ChannelPost).where(
                            ChannelPost.issue_id == issue.id,
                            ChannelPost.status != "posted",
                            ChannelPost.attempts < MAX_ATTEMPTS,
                        )
                    )
                )
            waiting = [row for row in waiting if row.platform in posters]
            if not waiting:
                break
            for row in waiting:
                await _post_one(database, row, posters[row.platform], post)
        async with database.read() as session:
            for row in await session.scalars(
                select(ChannelPost).where(ChannelPost.issue_id == issue.id)
            ):
                key = "posted" if row.status == "posted" else "failed"
                if row.status != "posted" and row.platform not in posters:
                    key = "waiting"
                counts[key] += 1
    except Exception:
        log.exception("channel posts for %s stopped early", issue.week)
    return counts


async def _post_one(
    database: Database, row: ChannelPost, poster: ChannelPoster, post: DigestPost
) -> None:
    error: str | None = None
    try:
        await poster.post_digest(row.workspace, row.channel_id, post)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("digest post to %s %s failed: %s", row.platform, row.channel_id, error)
    async with database.write() as session:
        stored = await session.get(ChannelPost, row.id)
        if stored is None:
            return
        stored.attempts += 1
        if error is None:
            stored.status, stored.posted_at, stored.last_error = "posted", utcnow(), None
        else:
            stored.status, stored.last_error = "failed", error


def _asked_by(entry: dict[str, Any]) -> str:
    # Issues archived before people were counted hold request counts only.
    return str(entry["asked_by"]) if "asked_by" in entry else f"asked {entry['requests']}×"
