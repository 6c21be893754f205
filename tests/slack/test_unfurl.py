"""Slack unfurls links to our pages: link_shared → chat.unfurl with the card, via the fake Slack."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import BOT_TOKEN, RunningApp
from tests.slack.signing import event_body

PUBLIC = "http://127.0.0.1:8080"  # AppSettings' default PUBLIC_URL


def _shared(*urls: str, **extra: Any) -> str:
    event = {
        "type": "link_shared",
        "channel": "C0CHAN",
        "user": "U0ADA",
        "message_ts": "1700000000.000100",
        "links": [{"domain": "127.0.0.1", "url": url} for url in urls],
        **extra,
    }
    return event_body(event)


async def test_a_shared_comparison_link_unfurls_as_the_card(running: RunningApp) -> None:
    url = f"{PUBLIC}/compare/claude-4-sonnet-vs-smolvlm2-turbo"
    response = await running.post(_shared(url, "https://elsewhere.example/compare/a-vs-b"))
    assert response.status == 200
    (call,) = await running.fake.wait_calls("chat.unfurl")
    assert call.token == BOT_TOKEN
    assert call.payload["channel"] == "C0CHAN"
    assert call.payload["ts"] == "1700000000.000100"
    unfurls = call.payload["unfurls"]
    unfurls = json.loads(unfurls) if isinstance(unfurls, str) else unfurls
    assert list(unfurls) == [url]  # the other site's link is left to Slack
    blocks = unfurls[url]["blocks"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Claude 4 Sonnet vs SmolVLM2 Turbo" in text
    assert "Ship · 4 ship / 0 skip" in text
    assert all(block["type"] != "actions" for block in blocks)
    assert "Vote with the buttons" not in text
    assert f"<{url}|*Open full comparison to vote*>" in text


async def test_a_tool_link_unfurls_and_unknown_pages_are_left_alone(running: RunningApp) -> None:
    await running.post(_shared(f"{PUBLIC}/tools/nope", f"{PUBLIC}/tools/cursor"))
    (call,) = await running.fake.wait_calls("chat.unfurl")
    unfurls = call.payload["unfurls"]
    unfurls = json.loads(unfurls) if isinstance(unfurls, str) else unfurls
    assert list(unfurls) == [f"{PUBLIC}/tools/cursor"]
    assert "Cursor" in json.dumps(unfurls)


async def test_composer_previews_answer_by_unfurl_id(running: RunningApp) -> None:
    """Links typed in the message composer come with unfurl_id and source instead of a ts."""
    url = f"{PUBLIC}/tools/cursor"
    await running.post(_shared(url, unfurl_id="Uf123", source="composer"))
    (call,) = await running.fake.wait_calls("chat.unfurl")
    assert call.payload["unfurl_id"] == "Uf123" and call.payload["source"] == "composer"
