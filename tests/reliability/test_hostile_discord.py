"""Hostile option values through the real Discord client: always an answer, never a ping."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.discord.checks import assert_no_pings, assert_within_limits
from tests.discord.conftest import Bot
from tests.discord.payloads import autocomplete, slash
from tests.reliability.test_hostile_input import texts

# Discord caps string options at 6,000 characters; the client sends at most that.
option = texts.map(lambda t: t[:6000])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    command=st.sampled_from(["compare", "vote", "bookmark", "tool", "subscribe"]),
    first=option,
    second=option,
)
async def test_any_option_text_gets_a_clean_answer(
    bot: Bot, caplog: pytest.LogCaptureFixture, command: str, first: str, second: str
) -> None:
    options = {
        "compare": {"first": first, "second": second},
        "vote": {"tool": first, "choice": "ship"},
        "bookmark": {"tool": first},
        "tool": {"tool": first},
        "subscribe": {"email": first},
    }[command]
    call = await bot.send(slash(command, **options))
    assert call.body["type"] in (4, 5)
    if call.body["type"] == 4:
        assert_no_pings(call.body["data"])
        assert_within_limits(call.body["data"])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(prefix=option)
async def test_autocomplete_survives_anything(bot: Bot, prefix: str) -> None:
    call = await bot.send(autocomplete("compare", "first", first=prefix, second=""))
    choices = call.body["data"]["choices"]
    assert len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
