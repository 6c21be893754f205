"""Exactly one post per opted-in channel per issue: crashes resume, lost channels stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.ports import ChannelGone
from bot.core.views import DigestPost
from bot.status import database_facts
from db.digest_models import ChannelPost
from db.queries.channels import set_channel_digest
from digest.channel_posts import post_issue
from digest.issues import ensure_issue
from digest.pipeline import DigestDeps
from tests.digest.conftest import PUBLIC_URL, WEEK

CHANNELS = [f"c{n}" for n in range(6)]


class Killed(BaseException):
    """The process dies here (like SIGKILL, nothing after it runs)."""


class Platform:
    """A chat platform's poster; like Discord, it returns the first message for a repeated
    nonce (``enforce_nonce``), so a post repeated after a crash lands once."""

    pace_s = 0.0

    def __init__(self, platform: str = "discord") -> None:
        self.platform = platform
        self.channel_posts: dict[str, int] = {}
        self.nonces: set[str] = set()
        self.die_before: str | None = None
        self.die_after: str | None = None
        self.gone: set[str] = set()
        self.calls: list[str] = []

    async def post_digest(
        self, workspace: str, channel_id: str, post: DigestPost, *, nonce: str | None = None
    ) -> None:
        self.calls.append(channel_id)
        if channel_id == self.die_before:
            self.die_before = None
            raise Killed
        if channel_id in self.gone:
            raise ChannelGone("404 10003: Unknown Channel")
        if nonce is None or nonce not in self.nonces:
            self.channel_posts[channel_id] = self.channel_posts.get(channel_id, 0) + 1
            if nonce is not None:
                self.nonces.add(nonce)
        if channel_id == self.die_after:
            self.die_after = None
            raise Killed


async def _opt_in(deps: DigestDeps, platform: str = "discord") -> None:
    async with deps.database.write() as session:
        for channel in CHANNELS:
            await set_channel_digest(session, platform, "w1", channel, "admin", enable=True)


async def _run(deps: DigestDeps, platform: Platform) -> dict[str, int]:
    issue, _ = await ensure_issue(deps.database, WEEK)
    return await post_issue(
        deps.database,
        issue,
        {platform.platform: platform},
        PUBLIC_URL,
        base_delay_s=0.01,
        stale_after=timedelta(0),
    )


@pytest.mark.parametrize("where", ["before", "after"])
async def test_a_crash_mid_loop_resumes_with_no_channel_twice_and_none_skipped(
    deps: DigestDeps, where: str
) -> None:
    """Killed while posting c2 (before it landed, or after it landed but before the
    record): the next run posts every channel, each exactly once."""
    await _opt_in(deps)
    platform = Platform()
    setattr(platform, f"die_{where}", "c2")
    with pytest.raises(Killed):
        await _run(deps, platform)
    assert set(platform.channel_posts) == ({"c0", "c1", "c2"} if where == "after" else {"c0", "c1"})
    counts = await _run(deps, platform)
    assert counts == {"posted": 6, "failed": 0, "waiting": 0, "lost": 0}
    assert platform.channel_posts == {c: 1 for c in CHANNELS}
    assert platform.calls.count("c0") == 1  # posted rows are never tried again
    assert (await _run(deps, platform))["posted"] == 6
    assert platform.channel_posts == {c: 1 for c in CHANNELS}


async def test_a_lost_channel_is_marked_reported_and_not_retried(deps: DigestDeps) -> None:
    await _opt_in(deps)
    platform = Platform()
    platform.gone.add("c3")
    counts = await _run(deps, platform)
    assert counts == {"posted": 5, "failed": 0, "waiting": 0, "lost": 1}
    await _run(deps, platform)
    assert platform.calls.count("c3") == 1
    async with deps.database.read() as session:
        row = await session.scalar(select(ChannelPost).where(ChannelPost.channel_id == "c3"))
    assert row is not None and row.status == "lost" and row.attempts == 1
    facts = dict(await database_facts(deps.database))
    assert facts["channel posts"] == "5 posted, 1 lost"
    assert facts["lost channels"] == "discord w1/c3 (404 10003: Unknown Channel)"
