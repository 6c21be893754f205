"""Digest posts into Slack channels: paced, 429s waited out, lost channels marked."""

from __future__ import annotations

from db.queries.channels import set_channel_digest
from digest.channel_posts import post_issue
from digest.issues import ensure_issue
from digest.weeks import parse_week
from tests.slack.conftest import RunningApp
from tests.slack.live import front
from tests.slack.signing import TEAM


async def test_posts_land_once_under_limits_and_an_archived_channel_is_lost(
    running: RunningApp,
) -> None:
    fake = running.fake
    async with running.runtime.database.write() as session:
        for channel in ("C1", "C2", "C3"):
            await set_channel_digest(session, "slack", TEAM, channel, "U0ADMIN", enable=True)
    fake.channel_errors["C2"] = "is_archived"
    fake.limits["chat.postMessage"] = (1, 1.0)
    issue, _ = await ensure_issue(running.runtime.database, parse_week("2026-W21"))
    poster = front(running).poster
    poster.pace_s = 0.0  # let the fake's limit bite: the client must wait out the 429
    counts = await post_issue(running.runtime.database, issue, {"slack": poster}, "http://x")
    assert counts == {"posted": 2, "failed": 0, "waiting": 0, "lost": 1}
    assert fake.limited, "the rate limit was never hit"
    posted = sorted(channel for channel, _ts in fake.messages)
    assert posted == ["C1", "C3"]
    again = await post_issue(running.runtime.database, issue, {"slack": poster}, "http://x")
    assert again["posted"] == 2 and sorted(c for c, _ in fake.messages) == ["C1", "C3"]
