"""Slack request keys are recorded in batches: a repeat is dropped even inside one batch."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs

from sqlalchemy import update

from bot.slack_bot.replays import KEEP, Replays
from db.engine import Database
from db.live_models import SlackRequestSeen
from db.models import utcnow
from tests.slack.signing import action_body


def _click(response_key: str) -> dict[str, object]:
    form = parse_qs(action_body("sos:vote:ship:1", "1:2", f"http://x/{response_key}"))
    payload: dict[str, object] = json.loads(form["payload"][0])
    return payload


async def test_a_request_arriving_many_times_at_once_runs_once(database: Database) -> None:
    here, there = Replays(database), Replays(database)  # two processes on one database
    repeated = _click("a")
    others = [_click(f"b{n}") for n in range(10)]
    answers = await asyncio.gather(
        *(replays.first_time(repeated) for replays in (here, there, here, there, here)),
        *(here.first_time(body) for body in others),
    )
    assert sorted(answers[:5]) == [False, False, False, False, True]
    assert answers[5:] == [True] * 10
    assert not await there.first_time(others[0])


async def test_a_request_without_a_trigger_is_never_dropped(database: Database) -> None:
    replays = Replays(database)
    assert await replays.first_time({"type": "event_callback"})
    assert await replays.first_time({"type": "event_callback"})


async def test_keys_past_the_retry_window_are_purged_now_and_then(database: Database) -> None:
    replays = Replays(database)
    replays._purged_at = time.monotonic()  # no purge due yet
    old, new = _click("old"), _click("new")
    assert await replays.first_time(old)
    async with database.write() as session:
        await session.execute(
            update(SlackRequestSeen).values(seen_at=utcnow() - KEEP - timedelta(minutes=1))
        )
    replays._purged_at = float("-inf")  # due now: the next batch purges
    assert await replays.first_time(new)
    assert not await replays.first_time(new)
    # Forgotten: a signature that old has expired, so Slack's retries are long over.
    assert await replays.first_time(old)
