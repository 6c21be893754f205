"""Posting an issue into every opted-in chat channel, exactly once per channel.

Invariants (as for email deliveries, see digest/delivery.py):
- each (issue, channel) has one ``channel_posts`` row; it is ``posted`` only after the
  platform accepted the message;
- a run claims one row at a time (``claimed_by`` = its id) and records the outcome
  right after the answer, so a crash can leave at most the one post in flight in
  doubt. A later run takes such a claim over once it is ``stale_after`` old and posts
  it with the same nonce: Discord returns the first message instead of a second one;
  Slack has no such key, so there the in-flight post may repeat (one channel, once);
- posts into one workspace are paced (``ChannelPoster.pace_s``: about one message per
  second on Slack); 429s are waited out by each platform's client (Retry-After);
- a channel the bot can no longer post in (``ChannelGone``) is marked ``lost`` at once
  and shown by ``shiporskip status``; other failures are retried a few times.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta

from bot.core.ports import ChannelGone, ChannelPoster
from bot.core.views import DigestPost
from db.engine import Database
from db.queries import channel_posts as queries
from digest.channels import digest_post
from digest.issues import Issue

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# A claim older than this belongs to a run that died (a post takes seconds at most).
STALE_AFTER = timedelta(minutes=5)


class Pacer:
    """At most one post per ``pace_s`` into each (platform, workspace)."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], float] = {}

    async def wait(self, platform: str, workspace: str, pace_s: float) -> None:
        key = (platform, workspace)
        now = time.monotonic()
        at = max(now, self._next.get(key, now))
        self._next[key] = at + pace_s
        if at > now:
            await asyncio.sleep(at - now)


async def post_issue(
    database: Database,
    issue: Issue,
    posters: Mapping[str, ChannelPoster],
    public_url: str,
    *,
    rounds: int = 3,
    base_delay_s: float = 5.0,
    stale_after: timedelta = STALE_AFTER,
) -> dict[str, int]:
    """Post the issue to every opted-in channel whose platform is running; never raises."""
    post = digest_post(issue.snapshot, public_url)
    run_id = secrets.randbits(62)
    pacer = Pacer()
    try:
        async with database.write() as session:
            await queries.add_missing_rows(session, issue.id)
        for round_number in range(rounds):
            if round_number:
                await asyncio.sleep(base_delay_s * 2 ** (round_number - 1))
            async with database.read() as session:
                waiting = await queries.waiting_ids(
                    session, issue.id, list(posters), MAX_ATTEMPTS, stale_after
                )
            if not waiting:
                break
            for row_id in waiting:
                await _post_one(database, row_id, run_id, posters, post, pacer, stale_after)
    except Exception:
        log.exception("channel posts for %s stopped early", issue.week)
    return await counts(database, issue.id, posters)


async def counts(
    database: Database, issue_id: int, posters: Mapping[str, ChannelPoster]
) -> dict[str, int]:
    """posted / failed / lost, and waiting for rows whose platform is not running here."""
    totals = {"posted": 0, "failed": 0, "waiting": 0, "lost": 0}
    async with database.read() as session:
        for (platform, status), n in (await queries.post_counts(session, issue_id)).items():
            if status in ("posted", "lost"):
                totals[status] += n
            elif platform not in posters:
                totals["waiting"] += n
            else:
                totals["failed"] += n
    return totals


async def _post_one(
    database: Database,
    row_id: int,
    run_id: int,
    posters: Mapping[str, ChannelPoster],
    post: DigestPost,
    pacer: Pacer,
    stale_after: timedelta,
) -> None:
    async with database.write() as session:
        target = await queries.claim(session, row_id, run_id, stale_after)
    if target is None:
        return  # another run is on it, or it is done
    poster = posters[target.platform]
    await pacer.wait(target.platform, target.workspace, poster.pace_s)
    status, error = "posted", None
    try:
        await poster.post_digest(target.workspace, target.channel_id, post, nonce=f"sos-{row_id}")
    except ChannelGone as exc:
        status, error = "lost", str(exc)[:500]
        log.warning("digest channel %s %s is lost: %s", target.platform, target.channel_id, exc)
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        log.warning("digest post to %s %s failed: %s", target.platform, target.channel_id, error)
    async with database.write() as session:
        await queries.record(session, row_id, run_id, status, error)
