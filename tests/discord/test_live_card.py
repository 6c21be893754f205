"""The shared Discord card stays true: bursts, two processes, rate-limited edits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.service import CommandService
from bot.discord_bot import client
from bot.runner import Runtime
from db.engine import Database
from db.queries.card_refresh import card_state
from tests.conftest import DatabaseTarget
from tests.discord.checks import custom_ids
from tests.discord.conftest import Bot, discord_settings
from tests.discord.fake_discord import CHANNEL_ID, FakeDiscord
from tests.discord.payloads import click, slash

FIRST, SECOND = "Claude 4 Sonnet", "SmolVLM2 Turbo"
USERS = 8


async def _card(bot: Bot) -> dict[str, Any]:
    interaction = slash("compare", first=FIRST, second=SECOND)
    await bot.send(interaction)
    return bot.fake.messages[bot.fake.original[interaction["token"]]]


def _community(message: dict[str, Any]) -> list[str]:
    return [
        f["value"] for e in message["embeds"][1:] for f in e["fields"] if f["name"] == "Community"
    ]


async def _settled(database: Database, message_id: str, within_s: float = 20.0) -> None:
    """Until every vote on the card has been drawn and nobody holds the claim."""
    key = f"discord:{CHANNEL_ID}:{message_id}"
    async with asyncio.timeout(within_s):
        while True:
            async with database.read() as session:
                state = await card_state(session, key)
            if state is not None and state.drawn == state.version and state.owner is None:
                return
            await asyncio.sleep(0.05)


async def _burst(bots: list[Bot], card: dict[str, Any], waves: int = 1) -> None:
    """Every user clicks Ship on one tool and Skip on the other, in ``waves`` a bit apart."""
    ids = custom_ids(card)
    ship = next(i for i in ids if i.startswith("sos:v:ship:"))
    skip = [i for i in ids if i.startswith("sos:v:skip:")][1]
    clicks = [
        (n, click(button, card, user_id=f"7600000000000{kind}{n:04d}"))
        for n in range(USERS)
        for kind, button in ((1, ship), (2, skip))
    ]
    fake = bots[0].fake

    async def send(n: int, interaction: dict[str, Any]) -> None:
        prefix = f"/interactions/{interaction['id']}/"
        answered = fake.expect(lambda c: c.path.startswith(prefix))
        await fake.dispatch_interaction(interaction, to=n % len(bots))
        await asyncio.wait_for(answered, 10)

    size = -(-len(clicks) // waves)
    for start in range(0, len(clicks), size):
        await asyncio.gather(*(send(n, i) for n, i in clicks[start : start + size]))
        await asyncio.sleep(0.1)


async def _assert_true(bot: Bot, card: dict[str, Any], within_s: float = 20.0) -> None:
    """The card ends showing every vote, and stays so once nobody is drawing.

    A click is acked (deferred) before its vote is counted, so the burst returning does
    not mean every vote has marked the card yet: wait for the true card, then check it is
    the settled one. A card left stale never gets there and fails on the last read.
    """
    truth = [
        "100% ship · 8 votes (8 ship / 0 skip)",
        "0% ship · 8 votes (0 ship / 8 skip)",
    ]
    for _ in range(int(within_s / 0.05)):
        if _community(bot.fake.messages[card["id"]]) == truth:
            break
        await asyncio.sleep(0.05)
    await _settled(bot.runtime.database, card["id"])
    final = bot.fake.messages[card["id"]]
    assert _community(final) == truth
    assert custom_ids(final) == custom_ids(card)


async def test_burst_on_one_card_ends_true(bot: Bot) -> None:
    card = await _card(bot)
    await _burst([bot], card)
    await _assert_true(bot, card)
    assert 1 <= bot.fake.edits[card["id"]] <= 16
    # Every clicker is confirmed privately once: in a follow-up, or (while another click
    # redraws the card) as the click's own ephemeral answer.
    followups = [
        c.body for c in bot.fake.calls if c.method == "POST" and c.path.startswith("/webhooks/")
    ]
    answers = [
        c.body["data"]
        for c in bot.fake.calls
        if c.path.startswith("/interactions/")
        and c.body["type"] == 4
        and not c.body["data"].get("components")  # not the /compare card itself
    ]
    confirmations = followups + answers
    assert len(confirmations) == 16 and all(int(m["flags"]) & 64 for m in confirmations)
    assert not bot.fake.refused_callbacks


async def test_rate_limited_edits_are_waited_out_and_the_card_ends_true(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every click deferred (as under load), so the card is only ever redrawn by edits.
    monkeypatch.setattr(client, "VOTE_ACK_WITHIN_S", 0.0)
    card = await _card(bot)
    # One edit per second per interaction webhook: redraw loops hit the bucket.
    bot.fake.limits[("PATCH", "webhooks")] = (1, 1.0)
    # Clicks that arrive together are marked and drawn as one, so one burst can end in a
    # single edit. With slow edits, waves land while the card is being drawn and make its
    # drawer edit again through the same interaction, within the bucket's second.
    bot.fake.edit_delay_s = 0.2
    await _burst([bot], card, waves=4)
    await _assert_true(bot, card)
    assert bot.fake.limited, "the bucket was never exceeded"


async def test_two_processes_on_one_database_end_true(
    bot: Bot, fake: FakeDiscord, db_target: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = db_target.open()
    second = Bot(fake, Runtime(discord_settings(fake, monkeypatch), other, CommandService(other)))
    await second.start()
    try:
        card = await _card(bot)
        await _burst([bot, second], card)
        await _assert_true(bot, card)
    finally:
        await second.stop()
        await other.dispose()
