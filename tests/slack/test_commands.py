"""Slash commands over signed HTTP: acked at once, answered through response_url
(the card commands, /compare and /tool, in the ack itself when the card is ready)."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import select

from db.models import ChannelSubscription, CompareRequest
from tests.slack.conftest import ADMIN, RunningApp
from tests.slack.db_checks import count
from tests.slack.signing import CHANNEL, TEAM, command_body


async def command(app: RunningApp, name: str, text: str, key: str, **kw: str) -> dict[str, object]:
    """Send a command; return its (only) answer: in the ack, or at response_url ``key``."""
    response = await app.post(command_body(name, text, app.fake.response_url(key), **kw))
    assert response.status == 200
    acked = await response.text()
    if acked and "blocks" in json.loads(acked):
        message = dict(json.loads(acked))
        app.fake.acked(key, message)  # what Slack does with a message in the ack
        return message
    await app.fake.wait_for(
        lambda calls: any(c.method == "response_url" and c.payload["_key"] == key for c in calls)
    )
    return next(c.payload for c in app.fake.named("response_url") if c.payload["_key"] == key)


async def test_compare_card_goes_to_the_channel_and_is_recorded(running: RunningApp) -> None:
    answer = await command(running, "/compare", "cursor vs copilot", "c1")
    assert answer["response_type"] == "in_channel"
    blocks = answer["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["text"]["text"] == "Cursor vs GitHub Copilot"
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == 6 and all(a.startswith("sos:") for a in action_ids)
    async with running.runtime.database.read() as session:
        request = (await session.scalars(select(CompareRequest))).one()
    assert (request.platform, request.workspace, request.user_id) == ("slack", TEAM, "U0ADA")
    assert request.first_tool_id is not None and request.second_tool_id is not None


async def test_ack_is_immediate_and_empty(running: RunningApp) -> None:
    body = command_body("/vote", "cursor ship", running.fake.response_url("t"))
    await running.post(body)  # warm-up: auth.test, name index
    started = time.perf_counter()
    response = await running.post(body)
    assert time.perf_counter() - started < 1.0
    assert response.status == 200
    assert await response.text() == ""


async def test_a_ready_card_travels_in_the_ack(running: RunningApp) -> None:
    for name, text in (("/compare", "cursor vs copilot"), ("/tool", "cursor")):
        response = await running.post(command_body(name, text, running.fake.response_url(name)))
        assert response.status == 200
        # Slack reads a message (blocks, response_type) from an ack labelled JSON only;
        # any other body would be posted as plain text.
        assert response.content_type == "application/json"
        answer = json.loads(await response.text())
        assert answer["response_type"] == "in_channel"
        assert "Cursor" in json.dumps(answer["blocks"])
    await asyncio.sleep(0.2)
    assert running.fake.named("response_url") == [], "answered twice"


async def test_compare_accepts_comma_and_quoted_names(running: RunningApp) -> None:
    comma = await command(running, "/compare", "cursor, copilot", "a")
    quoted = await command(running, "/compare", '"Claude 4 Sonnet" smolvlm2', "b")
    assert comma["response_type"] == quoted["response_type"] == "in_channel"
    assert "Claude 4 Sonnet vs SmolVLM2 Turbo" in str(quoted["text"])


async def test_unknown_tool_answers_only_the_author(running: RunningApp) -> None:
    answer = await command(running, "/compare", "cursor vs notatoolatall", "e")
    assert answer["response_type"] == "ephemeral"
    assert "No tool named" in str(answer["text"])


async def test_compare_without_second_tool_explains_usage(running: RunningApp) -> None:
    answer = await command(running, "/compare", "cursor", "u")
    assert answer["response_type"] == "ephemeral"
    assert "/compare <tool> vs <tool>" in str(answer["text"]).replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    assert await count(running.runtime.database, CompareRequest) == 0


async def test_vote_bookmark_and_bookmarks_are_personal_the_tool_card_public(
    running: RunningApp,
) -> None:
    vote = await command(running, "/vote", "cursor ship", "v")
    assert vote["response_type"] == "ephemeral" and "Counted your ship vote" in str(vote["text"])
    mark = await command(running, "/bookmark", "copilot", "b")
    assert "Bookmarked GitHub Copilot" in str(mark["text"])
    tool = await command(running, "/tool", "cursor", "t")
    # A tool card is shown to the channel, as on Discord (README: Commands).
    assert tool["response_type"] == "in_channel" and tool["text"] == "Cursor"
    listed = await command(running, "/bookmarks", "", "l")
    assert listed["response_type"] == "ephemeral"
    assert "GitHub Copilot" in str(listed["blocks"])


async def test_help_lists_the_commands(running: RunningApp) -> None:
    answer = await command(running, "/shiporskip", "help", "h")
    assert answer["response_type"] == "ephemeral"
    for usage in ("/compare", "/vote", "/bookmark", "/digest here|off"):
        assert usage in str(answer["blocks"])


async def test_subscribe_without_email_setup_says_so(running: RunningApp) -> None:
    answer = await command(running, "/subscribe", "ada@example.com", "s")
    assert answer["response_type"] == "ephemeral"
    assert "not set up" in str(answer["text"])


async def test_digest_here_needs_an_admin(running: RunningApp) -> None:
    refused = await command(running, "/digest", "here", "d1", user="U0PLAIN")
    assert "Only server or workspace admins" in str(refused["text"])
    assert await count(running.runtime.database, ChannelSubscription) == 0
    accepted = await command(running, "/digest", "here", "d2", user=ADMIN)
    assert "will get the weekly verdict digest" in str(accepted["text"])
    async with running.runtime.database.read() as session:
        row = (await session.scalars(select(ChannelSubscription))).one()
    assert (row.platform, row.workspace, row.channel_id, row.added_by) == (
        "slack",
        TEAM,
        CHANNEL,
        ADMIN,
    )
    off = await command(running, "/digest", "off", "d3", user=ADMIN)
    assert "no longer" in str(off["text"])
    assert await count(running.runtime.database, ChannelSubscription) == 0


async def test_digest_with_other_words_explains_usage(running: RunningApp) -> None:
    answer = await command(running, "/digest", "sometimes", "d")
    assert "/digest here|off" in str(answer["text"])
