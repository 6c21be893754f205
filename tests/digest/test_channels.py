"""Channel posts: built from the snapshot, retried on failure, never holding up email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.views import DigestPost
from db.digest_models import ChannelPost
from db.queries.channels import set_channel_digest
from digest.channel_posts import post_issue
from digest.channels import digest_post
from digest.delivery import delivery_counts
from digest.issues import ensure_issue
from digest.pipeline import DigestDeps, weekly_run
from digest.weeks import parse_week
from tests.digest.conftest import EVIL_NAME, PUBLIC_URL, WEEK, add_subscribers, seed_week
from tests.digest.smtp_sink import SmtpSink


class FlakyPoster:
    """Stands in for a platform's poster (the Discord and Slack fronts own the real ones)."""

    pace_s = 0.0

    def __init__(self, platform: str, failures: int) -> None:
        self.platform = platform
        self.failures = failures
        self.posts: list[tuple[str, str, DigestPost]] = []

    async def post_digest(
        self, workspace: str, channel_id: str, post: DigestPost, *, nonce: str | None = None
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform is down")
        self.posts.append((workspace, channel_id, post))


async def test_the_post_carries_the_snapshots_sections_and_archive_link(
    deps: DigestDeps,
) -> None:
    await seed_week(deps.database)
    issue, _ = await ensure_issue(deps.database, WEEK)
    post = digest_post(issue.snapshot, PUBLIC_URL)
    titles = [s.title for s in post.sections]
    assert titles[:2] == ["New verdicts", "Most requested comparisons"]
    assert "Asked about, not yet reviewed" in titles
    assert post.archive_url == f"{PUBLIC_URL}/digests/{WEEK.label}"
    assert any(item.title == EVIL_NAME for s in post.sections for item in s.items)
    assert all(len(s.items) <= 5 for s in post.sections)


MONDAY_AFTER = WEEK.end + timedelta(hours=9)


async def _opt_in(deps: DigestDeps, platform: str, channel: str) -> None:
    async with deps.database.write() as session:
        await set_channel_digest(session, platform, "w1", channel, "admin", enable=True)


async def test_a_failed_post_is_retried_and_lands_once(deps: DigestDeps) -> None:
    await _opt_in(deps, "discord", "c1")
    await _opt_in(deps, "slack", "c2")
    issue, _ = await ensure_issue(deps.database, WEEK)
    discord, slack = FlakyPoster("discord", failures=1), FlakyPoster("slack", failures=0)
    posters = {"discord": discord, "slack": slack}
    counts = await post_issue(deps.database, issue, posters, PUBLIC_URL, base_delay_s=0.01)
    assert counts == {"posted": 2, "failed": 0, "waiting": 0, "lost": 0}
    assert [(w, c) for w, c, _ in discord.posts] == [("w1", "c1")]
    again = await post_issue(deps.database, issue, posters, PUBLIC_URL, base_delay_s=0.01)
    assert again["posted"] == 2 and len(discord.posts) == 1 and len(slack.posts) == 1
    async with deps.database.read() as session:
        attempts = {p.channel_id: p.attempts for p in await session.scalars(select(ChannelPost))}
    assert attempts == {"c1": 2, "c2": 1}


async def test_a_platform_that_keeps_failing_does_not_stop_the_email(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    """Posts fail every time; all subscribers still get their email."""
    await _opt_in(deps, "discord", "c1")
    emails = await add_subscribers(deps.database, 4)
    await seed_week(deps.database)
    deps.posters = {"discord": FlakyPoster("discord", failures=99)}
    summary = await weekly_run(deps, MONDAY_AFTER, post_retry_delay_s=0.01)
    assert summary.sent == 4 and sink.recipients() == {e: 1 for e in emails}
    async with deps.database.read() as session:
        post = await session.scalar(select(ChannelPost))
    assert (
        post is not None
        and post.status == "failed"
        and "platform is down" in (post.last_error or "")
    )


async def test_a_quiet_week_is_not_mailed_but_channels_get_one_line(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    """Nothing happened: no delivery rows, nothing at the SMTP server, a one-line post."""
    await _opt_in(deps, "slack", "c1")
    await add_subscribers(deps.database, 3)
    slack = FlakyPoster("slack", failures=0)
    deps.posters = {"slack": slack}
    quiet = parse_week("2026-W02")  # the demo catalog has nothing that week
    summary = await weekly_run(deps, quiet.end + timedelta(hours=9), post_retry_delay_s=0.01)
    assert summary.not_mailed.startswith("a quiet week") and summary.total == 0
    assert sink.recipients() == {}
    issue, built = await ensure_issue(deps.database, quiet)
    assert not built and issue.snapshot.empty
    assert await delivery_counts(deps.database, issue.id) == {}
    [(_, _, post)] = slack.posts
    assert post.sections == () and post.intro.count("\n") == 0
    assert post.intro.startswith("A quiet week")
