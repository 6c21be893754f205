"""Ship/Skip/Bookmark buttons: votes in place, across restarts, under a storm."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.discord_bot import client
from db.models import Bookmark, Tool, Vote
from db.queries.card_refresh import bump_and_claim, card_state
from tests.discord.checks import assert_no_pings, assert_within_limits, custom_ids, is_ephemeral
from tests.discord.conftest import WAIT_S, Bot
from tests.discord.payloads import click, slash

FIRST, SECOND = "Claude 4 Sonnet", "SmolVLM2 Turbo"


async def _card(bot: Bot) -> dict[str, Any]:
    """Post a compare card and return the message as Discord stores it."""
    call = await bot.send(slash("compare", first=FIRST, second=SECOND))
    message_id = bot.fake.original[[k for k in bot.fake.original][-1]]
    return bot.fake.messages[message_id] | {"components": call.body["data"]["components"]}


def _button(message: dict[str, Any], prefix: str) -> str:
    return next(i for i in custom_ids(message) if i.startswith(prefix))


async def _votes(bot: Bot) -> list[tuple[str, str]]:
    async with bot.runtime.database.read() as session:
        rows = (await session.scalars(select(Vote).order_by(Vote.id))).all()
    return [(v.user_id, v.verdict) for v in rows]


async def test_ship_click_updates_the_card_and_confirms_privately(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A vote within the ack window (a generous one: this is the first, cold vote).
    monkeypatch.setattr(client, "VOTE_ACK_WITHIN_S", 2.0)
    card = await _card(bot)
    ship = _button(card, "sos:v:ship:")
    interaction = click(ship, card)
    callback, followup = await bot.send_and_followup(interaction)
    # UPDATE_MESSAGE: the click's own answer is the redrawn card, with no edit after it.
    assert callback.body["type"] == 7
    assert_no_pings(callback.body["data"])
    assert_within_limits(callback.body["data"])
    updated = bot.fake.messages[card["id"]]
    community = {f["name"]: f["value"] for f in updated["embeds"][1]["fields"]}["Community"]
    assert community == "100% ship · 1 vote (1 ship / 0 skip)"
    assert custom_ids(updated) == custom_ids(card)
    assert followup.method == "POST" and is_ephemeral(followup.body)
    assert_no_pings(followup.body)
    assert "Counted your ship vote for Claude 4 Sonnet" in followup.body["content"]
    assert await _votes(bot) == [("750000000000000001", "ship")]
    await asyncio.sleep(0.2)
    assert bot.fake.edits[card["id"]] == 1  # the answer only: no PATCH of @original
    assert not bot.fake.refused_callbacks


async def test_a_slow_vote_is_deferred_then_the_card_is_edited(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any vote slower than the ack window (here: every vote) is acked first.
    monkeypatch.setattr(client, "VOTE_ACK_WITHIN_S", 0.0)
    card = await _card(bot)
    interaction = click(_button(card, "sos:v:ship:"), card)
    edited = bot.expect_webhook(interaction, "PATCH")
    confirmed = bot.expect_webhook(interaction, "POST")
    callback = await bot.send(interaction)
    assert callback.body["type"] == 6  # DEFERRED_UPDATE_MESSAGE: the card is edited next
    edit = await asyncio.wait_for(edited, WAIT_S)
    assert edit.path.endswith("/messages/@original")
    assert_no_pings(edit.body)
    assert_within_limits(edit.body)
    updated = bot.fake.messages[card["id"]]
    community = {f["name"]: f["value"] for f in updated["embeds"][1]["fields"]}["Community"]
    assert community == "100% ship · 1 vote (1 ship / 0 skip)"
    followup = await asyncio.wait_for(confirmed, WAIT_S)
    assert is_ephemeral(followup.body)
    assert "Counted your ship vote for Claude 4 Sonnet" in followup.body["content"]
    assert not bot.fake.refused_callbacks


async def test_a_click_while_the_card_is_being_drawn_answers_with_the_confirmation(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "VOTE_ACK_WITHIN_S", 2.0)  # a cold first vote is slow
    card = await _card(bot)
    ship = _button(card, "sos:v:ship:")
    key = f"discord:{card['channel_id']}:{card['id']}"
    # Another process holds the claim: this click's vote marks the card for it.
    async with bot.runtime.database.write() as session:
        assert await bump_and_claim(session, key, "another-process", 60) == 1
    callback = await bot.send(click(ship, card, user_id="750000000000000002"))
    # CHANNEL_MESSAGE_WITH_SOURCE, ephemeral: the vote's confirmation, the card untouched.
    assert callback.body["type"] == 4 and is_ephemeral(callback.body["data"])
    assert "Counted your ship vote" in callback.body["data"]["content"]
    assert_no_pings(callback.body["data"])
    await asyncio.sleep(0.2)
    assert card["id"] not in bot.fake.edits
    async with bot.runtime.database.read() as session:
        state = await card_state(session, key)
    assert state is not None and state.version == 2 and state.owner == "another-process"


async def test_second_click_changes_the_vote(bot: Bot) -> None:
    card = await _card(bot)
    await bot.send_and_followup(click(_button(card, "sos:v:ship:"), card))
    second = click(_button(card, "sos:v:skip:"), card)
    followed = bot.expect_webhook(second, "POST")
    callback = await bot.send(second)
    # The first click releases the card's claim just after its followup. A second click
    # that comes first finds it held: its answer is the confirmation itself (4, and the
    # holder redraws); otherwise it redraws the card (7) and confirms in a followup.
    if callback.body["type"] == 4:
        assert is_ephemeral(callback.body["data"])
        confirmation = callback.body["data"]["content"]
    else:
        confirmation = (await asyncio.wait_for(followed, WAIT_S)).body["content"]
    assert "Changed your vote" in confirmation
    assert await _votes(bot) == [("750000000000000001", "skip")]
    # Either way the card ends with the changed vote.
    async with asyncio.timeout(WAIT_S):
        while _community(bot.fake.messages[card["id"]]) != "0% ship · 1 vote (0 ship / 1 skip)":  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _community(message: dict[str, Any]) -> str:
    """The first tool's community line on a compare card."""
    return str({f["name"]: f["value"] for f in message["embeds"][1]["fields"]}["Community"])


async def test_bookmark_click_is_personal(bot: Bot) -> None:
    card = await _card(bot)
    call = await bot.send(click(_button(card, "sos:b:"), card))
    assert call.body["type"] == 4 and is_ephemeral(call.body["data"])
    assert "Bookmarked Claude 4 Sonnet" in call.body["data"]["content"]
    async with bot.runtime.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Bookmark)) == 1


async def test_click_on_a_removed_tool_gets_a_clear_private_answer(bot: Bot) -> None:
    card = await _card(bot)
    async with bot.runtime.database.write() as session:
        await session.execute(delete(Tool).where(Tool.name == FIRST))
    for prefix in ("sos:v:ship:", "sos:b:"):
        interaction = click(_button(card, prefix), card)
        followed = bot.fake.expect(
            lambda c, t=interaction["token"]: c.path.startswith("/webhooks/") and t in c.path
        )
        call = await bot.send(interaction)
        # Answered at once, or (a vote that took longer than the ack budget) acked with a
        # deferred update and answered privately in a followup.
        if call.body["type"] == 6:
            answer = (await asyncio.wait_for(followed, WAIT_S)).body
        else:
            assert call.body["type"] == 4
            answer = call.body["data"]
        assert is_ephemeral(answer)
        assert "no longer in the catalog" in answer["content"]
    assert await _votes(bot) == []


async def test_vote_storm_from_one_user_counts_once(bot: Bot) -> None:
    """30 clicks at once: a friendly rate-limit answer past 10, one vote in the database."""
    card = await _card(bot)
    ship = _button(card, "sos:v:ship:")
    clicks = [click(ship, card) for _ in range(30)]
    await asyncio.gather(*(bot.send(c) for c in clicks))

    def private_answers() -> list[str]:
        # Direct ephemeral callbacks, or followups when the click was deferred first.
        ids, tokens = {c["id"] for c in clicks}, {c["token"] for c in clicks}
        texts = [
            c.body["data"]["content"]
            for c in bot.fake.calls
            if c.path.split("/")[2:3] and c.path.split("/")[2] in ids and c.body["type"] == 4
        ]
        texts += [
            c.body["content"]
            for c in bot.fake.calls
            if c.method == "POST"
            and c.path.startswith("/webhooks/")
            and c.path.split("/")[3] in tokens
        ]
        return texts

    async with asyncio.timeout(10):
        while len(private_answers()) < 30:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    limited = [t for t in private_answers() if "voting very fast" in t]
    assert len(limited) == 20
    assert await _votes(bot) == [("750000000000000001", "ship")]


async def test_card_buttons_work_after_a_restart(bot: Bot) -> None:
    """A new client instance (no memory of the card) handles the old card's custom_id."""
    card = await _card(bot)
    await bot.stop()
    await bot.start()
    callback, followup = await bot.send_and_followup(click(_button(card, "sos:v:skip:"), card))
    assert callback.body["type"] in (6, 7)  # deferred, or answered with the redrawn card
    assert "Counted your skip vote" in followup.body["content"]
    assert await _votes(bot) == [("750000000000000001", "skip")]


async def test_slow_answers_are_deferred_then_edited(bot: Bot) -> None:
    """With no time to answer directly the bot defers first and edits the answer in."""
    await bot.stop()
    await bot.start(answer_within_s=0)
    interaction = slash("compare", first=FIRST, second=SECOND)
    edited = bot.expect_webhook(interaction, "PATCH")
    call = await bot.send(interaction)
    assert call.body["type"] == 5 and not is_ephemeral(call.body.get("data") or {})
    edit = await asyncio.wait_for(edited, 10)
    assert edit.path.endswith("/messages/@original")
    assert_within_limits(edit.body)
    assert edit.body["embeds"][0]["title"] == f"{FIRST} vs {SECOND}"

    error = slash("compare", first="nothing like it", second=SECOND)
    deleted = bot.expect_webhook(error, "DELETE")
    followed = bot.expect_webhook(error, "POST")
    await bot.send(error)
    await asyncio.wait_for(deleted, 10)
    private = await asyncio.wait_for(followed, 10)
    assert is_ephemeral(private.body) and "No tool named" in private.body["content"]

    card = bot.fake.messages[bot.fake.original[interaction["token"]]]
    press = click(_button(card, "sos:v:ship:"), card)
    updated = bot.expect_webhook(press, "PATCH")
    deferred = await bot.send(press)
    assert deferred.body["type"] == 6  # DEFERRED_UPDATE_MESSAGE
    assert (await asyncio.wait_for(updated, 10)).body["embeds"][1]["title"] == FIRST


async def test_a_click_discord_refuses_gives_the_card_claim_back(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "VOTE_ACK_WITHIN_S", 2.0)
    card = await _card(bot)
    key = f"discord:{card['channel_id']}:{card['id']}"
    # The answer comes too late for Discord (the 3 s window, here 0): 404 Unknown interaction.
    bot.fake.response_deadline_s = 0.0
    await bot.send(click(_button(card, "sos:v:ship:"), card))
    async with asyncio.timeout(WAIT_S):
        while True:
            async with bot.runtime.database.read() as session:
                state = await card_state(session, key)
            if state is not None and state.owner is None:
                break
            await asyncio.sleep(0.05)
    assert bot.fake.refused_callbacks and bot.fake.refused_callbacks[0][1] == 10062
    assert await _votes(bot) == [("750000000000000001", "ship")]  # the vote itself stands
    # The next click is free to redraw the card instead of waiting out the lease.
    bot.fake.response_deadline_s = 3.0
    callback = await bot.send(click(_button(card, "sos:v:skip:"), card, user_id="7500002"))
    assert callback.body["type"] == 7
