"""The weekly digest goes out through the Slack poster the front end registers."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.core.ports import ChannelGone
from bot.core.views import DigestItem, DigestPost, DigestSection
from tests.slack.conftest import BOT_TOKEN, RunningApp

POST = DigestPost(
    week="2026-W48",
    title="Ship or Skip weekly: <!channel> edition",
    intro="Five tools moved & two flipped.",
    sections=(
        DigestSection("Flipped", (DigestItem("Cursor", "now skip <@U1>", "https://cursor.com"),)),
    ),
    archive_url="https://example.com/digest/2026-W48",
)


async def test_digest_post_is_escaped_and_uses_the_bot_token(running: RunningApp) -> None:
    poster = running.runtime.posters["slack"]
    assert poster.platform == "slack"
    await poster.post_digest("T0TEAM", "C0DIGEST", POST)
    call = (await running.fake.wait_calls("chat.postMessage"))[0]
    assert call.token == BOT_TOKEN and call.payload["channel"] == "C0DIGEST"
    text = str(call.payload["blocks"])
    assert "Ship or Skip weekly: ‹!channel› edition" in text  # plain_text header
    assert "now skip &lt;@U1&gt;" in text and "<https://cursor.com|*Cursor*>" in text


async def test_failed_post_raises_so_the_digest_can_retry(running: RunningApp) -> None:
    running.fake.channel_errors["C0DIGEST"] = "fatal_error"  # Slack's side, worth a retry
    with pytest.raises(SlackApiError):
        await running.runtime.posters["slack"].post_digest("T0TEAM", "C0DIGEST", POST)


async def test_a_revoked_token_means_the_channel_is_lost(running: RunningApp) -> None:
    running.fake.workspaces.clear()  # the token is no longer valid
    with pytest.raises(ChannelGone):
        await running.runtime.posters["slack"].post_digest("T0TEAM", "C0DIGEST", POST)
