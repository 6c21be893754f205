"""Ship, Skip and Bookmark buttons: the vote counts, the card redraws, the clicker hears."""

from __future__ import annotations

from typing import Any

from db.models import Bookmark
from tests.slack.conftest import RunningApp
from tests.slack.db_checks import count, votes
from tests.slack.fake_slack import Call
from tests.slack.signing import CHANNEL, TEAM, action_body
from tests.slack.test_commands import command


async def card_buttons(app: RunningApp) -> dict[str, dict[str, Any]]:
    """Post a comparison and return its buttons by action id (each knows its card).

    The card comes in the ack when it is ready in time, else at the card's response_url;
    a click's redraw is found by the click's own key (``redraw_of``).
    """
    card = await command(app, "/compare", "cursor vs copilot", "card")
    blocks: list[dict[str, Any]] = card["blocks"]  # type: ignore[assignment]
    return {
        e["action_id"]: {**e, "_card": blocks}
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


async def click(
    app: RunningApp,
    button: dict[str, Any],
    key: str,
    user: str = "U0ADA",
    *,
    with_card: bool = True,
) -> None:
    card = button.get("_card") if with_card else None
    body = action_body(
        button["action_id"],
        button["value"],
        app.fake.response_url(key),
        user=user,
        message_blocks=card,
    )
    response = await app.post(body)
    assert response.status == 200


async def redraw_of(app: RunningApp, key: str) -> dict[str, Any]:
    """The redraw a click answered at its own response_url (not the card, not a note)."""

    def redraws(calls: list[Call]) -> list[Call]:
        return [
            c
            for c in calls
            if c.method == "response_url"
            and c.payload.get("_key") == key
            and "replace_original" in c.payload
            and c.payload.get("response_type") != "ephemeral"
        ]

    return redraws(await app.fake.wait_for(lambda calls: bool(redraws(calls))))[-1].payload


def community_text(payload: dict[str, Any]) -> str:
    return str([b for b in payload["blocks"] if b["type"] == "section"][1:3])


async def test_ship_click_counts_redraws_and_confirms(running: RunningApp) -> None:
    buttons = await card_buttons(running)
    ship = next(b for a, b in buttons.items() if a.startswith("sos:vote:ship:"))
    tool_id = int(ship["action_id"].rsplit(":", 1)[1])
    await click(running, ship, "k1")
    redraw = await redraw_of(running, "k1")
    ephemeral = (await running.fake.wait_calls("chat.postEphemeral"))[0]
    assert redraw["replace_original"] is True
    assert "100% ship · 1 vote (1 ship / 0 skip)" in community_text(redraw)
    assert ephemeral.payload["user"] == "U0ADA" and ephemeral.payload["channel"] == CHANNEL
    assert "Counted your ship vote for Cursor" in ephemeral.payload["text"]
    assert ephemeral.token == "xoxb-single-workspace-token"
    assert await votes(running.runtime.database) == [(TEAM, "U0ADA", tool_id, "ship")]


async def test_second_click_changes_the_vote(running: RunningApp) -> None:
    buttons = await card_buttons(running)
    ship = next(b for a, b in buttons.items() if a.startswith("sos:vote:ship:"))
    skip = next(b for a, b in buttons.items() if a.startswith("sos:vote:skip:"))
    await click(running, ship, "k1")
    await running.fake.wait_calls("chat.postEphemeral", 1)
    await click(running, skip, "k2")
    confirmations = await running.fake.wait_calls("chat.postEphemeral", 2)
    assert "Changed your vote on Cursor to skip" in confirmations[1].payload["text"]
    recorded = await votes(running.runtime.database)
    assert [v[3] for v in recorded] == ["skip"]


async def test_bookmark_button_says_add_and_a_second_click_keeps_it(running: RunningApp) -> None:
    buttons = await card_buttons(running)
    mark = next(b for a, b in buttons.items() if a.startswith("sos:bookmark:"))
    assert mark["action_id"].startswith("sos:bookmark:add:")
    await click(running, mark, "b1")
    first = (await running.fake.wait_calls("chat.postEphemeral", 1))[0]
    assert "Bookmarked Cursor" in first.payload["text"]
    assert await count(running.runtime.database, Bookmark) == 1
    await click(running, mark, "b2")
    second = (await running.fake.wait_calls("chat.postEphemeral", 2))[1]
    assert "Bookmarked Cursor" in second.payload["text"]
    assert await count(running.runtime.database, Bookmark) == 1


async def test_an_older_cards_bookmark_button_still_toggles(running: RunningApp) -> None:
    buttons = await card_buttons(running)
    mark = next(b for a, b in buttons.items() if a.startswith("sos:bookmark:"))
    legacy = {**mark, "action_id": mark["action_id"].replace(":add:", ":")}
    await click(running, legacy, "b1")
    await running.fake.wait_calls("chat.postEphemeral", 1)
    await click(running, legacy, "b2")
    second = (await running.fake.wait_calls("chat.postEphemeral", 2))[1]
    assert "Removed Cursor" in second.payload["text"]
    assert await count(running.runtime.database, Bookmark) == 0


async def test_forged_button_value_changes_nothing(running: RunningApp) -> None:
    forged = {"action_id": "sos:vote:ship:1", "value": "1; DROP TABLE votes"}
    await click(running, forged, "f")
    confirm = (await running.fake.wait_calls("chat.postEphemeral"))[0]
    assert "out of date" in confirm.payload["text"]
    assert await votes(running.runtime.database) == []


async def test_vanished_tool_gets_a_clear_answer(running: RunningApp) -> None:
    await click(running, {"action_id": "sos:vote:ship:999999", "value": "999999"}, "g")
    confirm = (await running.fake.wait_calls("chat.postEphemeral"))[0]
    assert "no longer in the catalog" in confirm.payload["text"]


async def test_confirmation_falls_back_to_response_url(running: RunningApp) -> None:
    running.fake.refuse_ephemeral_in.add(CHANNEL)
    buttons = await card_buttons(running)
    mark = next(b for a, b in buttons.items() if a.startswith("sos:bookmark:"))
    await click(running, mark, "fb")
    await running.fake.wait_for(lambda calls: any(c.payload.get("_key") == "fb" for c in calls))
    answer = next(
        c.payload for c in running.fake.named("response_url") if c.payload["_key"] == "fb"
    )
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Bookmarked Cursor" in answer["text"]


async def test_click_on_a_card_without_its_blocks_rerenders_it(running: RunningApp) -> None:
    """Older cards (or payloads without blocks) are redrawn from the database instead."""
    buttons = await card_buttons(running)
    skip = next(b for a, b in buttons.items() if a.startswith("sos:vote:skip:"))
    await click(running, skip, "old", with_card=False)
    redraw = await redraw_of(running, "old")
    assert redraw["replace_original"] is True
    assert redraw["blocks"][0]["text"]["text"] == "Cursor vs GitHub Copilot"
    assert "0% ship · 1 vote (0 ship / 1 skip)" in community_text(redraw)


async def test_in_place_update_changes_only_the_clicked_tool(running: RunningApp) -> None:
    buttons = await card_buttons(running)
    card = next(iter(buttons.values()))["_card"]
    ship = next(b for a, b in buttons.items() if a.startswith("sos:vote:ship:"))
    await click(running, ship, "one")
    redraw = await redraw_of(running, "one")
    changed = [i for i, (a, b) in enumerate(zip(card, redraw["blocks"], strict=True)) if a != b]
    assert changed == [3]  # the first tool's section, nothing else
