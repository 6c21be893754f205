"""The shared card stays true: bursts, two processes, rate limits, retries and replays."""

from __future__ import annotations

import asyncio
from typing import Any

from db.models import Bookmark
from tests.conftest import DatabaseTarget
from tests.slack.conftest import RunningApp
from tests.slack.db_checks import count, votes
from tests.slack.fake_slack import FakeSlack
from tests.slack.live import click_body, community, instances, post_card, settle, truth
from tests.slack.signing import CHANNEL, sign

USERS = 8


def _pick(buttons: dict[str, dict[str, Any]], prefix: str, nth: int) -> dict[str, Any]:
    return [b for a, b in buttons.items() if a.startswith(prefix)][nth]


async def _burst(apps: list[RunningApp], ts: str, buttons: dict[str, dict[str, Any]]) -> None:
    """8 users ship the first tool and 8 others skip the second, all at once."""
    ship = _pick(buttons, "sos:vote:ship:", 0)
    skip = _pick(buttons, "sos:vote:skip:", 1)
    bodies = [
        (apps[n % len(apps)], click_body(apps[0], ts, button, f"U{kind}{n}", f"{kind}{n}"))
        for n in range(USERS)
        for kind, button in (("A", ship), ("B", skip))
    ]
    responses = await asyncio.gather(*(app.post(body) for app, body in bodies))
    assert all(r.status == 200 for r in responses)
    await settle(apps)


async def _assert_true(app: RunningApp, ts: str, buttons: dict[str, dict[str, Any]]) -> None:
    card = app.fake.message(CHANNEL, ts)
    assert community(card) == [
        "100% ship · 8 votes (8 ship / 0 skip)",
        "0% ship · 8 votes (0 ship / 8 skip)",
    ]
    assert card["blocks"] == await truth(app, next(iter(buttons.values())))


def _confirmed_privately(fake: FakeSlack) -> set[str]:
    """Users told about their vote, by ephemeral or by a private response_url answer."""
    users = {c.payload["user"] for c in fake.named("chat.postEphemeral")}
    users |= {
        c.payload["_key"].replace("A", "UA", 1).replace("B", "UB", 1)
        for c in fake.named("response_url")
        if c.payload.get("response_type") == "ephemeral"
    }
    return users


async def test_burst_on_one_card_ends_true(running: RunningApp) -> None:
    ts, buttons = await post_card(running)
    await _burst([running], ts, buttons)
    await _assert_true(running, ts, buttons)
    assert len(await votes(running.runtime.database)) == 16
    # Redraws are coalesced: fewer chat.update calls than clicks, and nothing public besides.
    assert 1 <= running.fake.edits[(CHANNEL, ts)] <= 16
    assert not [c for c in running.fake.named("chat.postMessage")]
    assert len(_confirmed_privately(running.fake)) == 16


async def test_two_processes_on_one_database_end_true(
    running: RunningApp, db_target: DatabaseTarget
) -> None:
    other = db_target.open()
    try:
        async with instances(running.fake, [other]) as (second,):
            ts, buttons = await post_card(running)
            await _burst([running, second], ts, buttons)
            await _assert_true(running, ts, buttons)
    finally:
        await other.dispose()


async def test_under_tight_rate_limits_everyone_is_confirmed_and_the_card_ends_true(
    running: RunningApp,
) -> None:
    ts, buttons = await post_card(running)
    running.fake.limits.update({"chat.update": (1, 1.0), "chat.postEphemeral": (4, 1.0)})
    await _burst([running], ts, buttons)
    assert running.fake.limited, "the limits were never hit"
    await _assert_true(running, ts, buttons)
    assert len(_confirmed_privately(running.fake)) == 16
    public = [
        c
        for c in running.fake.named("response_url")
        if c.payload.get("response_type") == "in_channel" and c.payload["_key"] != "card"
    ]
    assert public == []


async def test_a_replayed_click_and_a_slack_retry_change_nothing(running: RunningApp) -> None:
    ts, buttons = await post_card(running)
    mark = _pick(buttons, "sos:bookmark:", 0)
    body = click_body(running, ts, mark, "U0ADA", "bm")
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    assert (await running.post(body, headers)).status == 200
    await settle([running])
    assert await count(running.runtime.database, Bookmark) == 1
    # Slack retries the same request; an attacker replays the same signed body.
    retry = headers | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await running.post(body, retry)).status == 200
    assert (await running.post(body, headers)).status == 200
    await settle([running])
    assert await count(running.runtime.database, Bookmark) == 1  # not toggled back
    assert len(running.fake.named("chat.postEphemeral")) == 1

    ship = _pick(buttons, "sos:vote:ship:", 0)
    vote = click_body(running, ts, ship, "U0ADA", "v")
    for _ in range(3):
        await running.post(vote)
    await settle([running])
    assert len(await votes(running.runtime.database)) == 1
    assert len(running.fake.named("chat.postEphemeral")) == 2
