"""Digest posts into Discord channels: 429s waited out, lost channels marked, nonce dedupe."""

from __future__ import annotations

from bot.discord_bot.poster import DiscordPoster
from db.queries.channels import set_channel_digest
from digest.channel_posts import post_issue
from digest.issues import ensure_issue
from digest.weeks import parse_week
from tests.discord.conftest import Bot


async def test_posts_land_once_under_limits_and_a_forbidden_channel_is_lost(bot: Bot) -> None:
    fake = bot.fake
    channels = ["810000000000000001", "810000000000000002", "810000000000000003"]
    async with bot.runtime.database.write() as session:
        for channel in channels:
            await set_channel_digest(session, "discord", "g1", channel, "admin", enable=True)
    fake.channel_errors[channels[1]] = (403, 50013, "Missing Permissions")
    fake.global_limit = (1, 1.0)
    poster = bot.runtime.posters["discord"]
    assert isinstance(poster, DiscordPoster)
    issue, _ = await ensure_issue(bot.runtime.database, parse_week("2026-W21"))
    counts = await post_issue(bot.runtime.database, issue, {"discord": poster}, "http://x")
    assert counts == {"posted": 2, "failed": 0, "waiting": 0, "lost": 1}
    posts = [c for c in fake.calls if c.method == "POST" and c.path.startswith("/channels/")]
    assert sorted(c.path.split("/")[2] for c in posts) == channels  # the lost one tried once
    landed = sorted(m["channel_id"] for m in fake.messages.values())
    assert landed == [channels[0], channels[2]]
    assert fake.limited, "the bucket was never exceeded"
    assert all(c.body["nonce"].startswith("sos-") and c.body["enforce_nonce"] for c in posts)
    again = await post_issue(bot.runtime.database, issue, {"discord": poster}, "http://x")
    assert again["posted"] == 2
    assert len([c for c in fake.calls if c.path.startswith("/channels/")]) == len(posts)
