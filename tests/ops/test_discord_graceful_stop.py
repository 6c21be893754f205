"""SIGTERM while Discord clicks are in hand: the real process closes the gateway, lets every
click finish (its confirmation, the card's redraw and the claim's release) and exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from db.engine import Database
from db.queries.card_refresh import card_state
from tests.discord.checks import custom_ids
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import click, slash
from tests.ops.process import start_bot

CLICKS = 12
WAIT_S = 20.0


async def _callback(fake: FakeDiscord, interaction: dict[str, Any]) -> None:
    prefix = f"/interactions/{interaction['id']}/"
    answered = fake.expect(lambda c: c.path.startswith(prefix))
    await fake.dispatch_interaction(interaction)
    await asyncio.wait_for(answered, WAIT_S)


async def test_sigterm_lets_clicks_in_hand_finish(process_url: str, tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    bot = await asyncio.to_thread(start_bot, tmp_path, process_url, **fake.env())
    try:
        await fake.wait_identified(within_s=WAIT_S)
        command = slash("compare", first="Claude 4 Sonnet", second="SmolVLM2 Turbo")
        await _callback(fake, command)
        message_id = fake.original[command["token"]]
        card_call = next(
            c for c in fake.calls if c.path.startswith(f"/interactions/{command['id']}/")
        )
        message = fake.messages[message_id] | {"components": card_call.body["data"]["components"]}
        ship = next(i for i in custom_ids(message) if i.startswith("sos:v:ship:"))
        # Every confirmation takes half a second to be answered: SIGTERM lands while each
        # click waits for it, before its card is redrawn and its claim given back.
        fake.followup_delay_s = 0.5
        clicks = [click(ship, message, user_id=f"7600000000000000{n:02d}") for n in range(CLICKS)]
        await asyncio.gather(*(_callback(fake, c) for c in clicks))
        code, took = await asyncio.to_thread(bot.stop, signal.SIGTERM)
    finally:
        if bot.process.poll() is None:
            bot.process.kill()
        await fake.stop()
    log = bot.log()
    assert code == 0 and took < 10, log
    assert "Session is closed" not in log and "Traceback" not in log, log
    # Each click was confirmed to its clicker: a followup, or a private answer (type 4).
    for c in clicks:
        followups = [x for x in fake.webhook_calls(c) if x.method == "POST"]
        private = [x for x in fake.callbacks_for(c) if x.body.get("type") == 4]
        assert followups or private, c["id"]
    database = Database(process_url)
    try:
        async with database.read() as session:
            state = await card_state(session, f"discord:{command['channel_id']}:{message_id}")
    finally:
        await database.dispose()
    # The last redraw showed every vote and gave the claim back: no lease left to run out.
    assert state is not None and state.version == CLICKS
    assert state.drawn == state.version and state.owner is None, (state.drawn, state.owner)
