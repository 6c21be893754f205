"""POST /slack/events checks Slack's v0 signature before anything else."""

from __future__ import annotations

from slack_sdk.signature import Clock

from bot.runner import Runtime
from bot.slack_bot.app import front_end_for
from tests.slack.conftest import RunningApp, Starter
from tests.slack.db_checks import nothing_stored
from tests.slack.signing import SIGNING_SECRET, command_body, sign

# Slack's worked example (docs: "Verifying requests from Slack").
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
DOC_HEADERS = {
    "X-Slack-Request-Timestamp": str(DOC_TIMESTAMP),
    "X-Slack-Signature": DOC_SIGNATURE,
}


class FrozenClock(Clock):  # type: ignore[misc]
    def __init__(self, now: float) -> None:
        self.moment = now

    def now(self) -> float:
        return self.moment


def freeze(at: float) -> object:
    def before(runtime: Runtime) -> None:
        front_end_for(runtime, clock=FrozenClock(at))

    return before


def test_our_signer_matches_slacks_example() -> None:
    """The test helper itself reproduces Slack's documented signature."""
    assert sign(DOC_BODY, DOC_SECRET, DOC_TIMESTAMP)["X-Slack-Signature"] == DOC_SIGNATURE


async def test_documented_example_passes_with_the_clock_frozen(start_app: Starter) -> None:
    """Slack's example request gets past the check (404: /webhook-collect is not ours)."""
    app = await start_app(before=freeze(DOC_TIMESTAMP + 30), signing_secret=DOC_SECRET)
    response = await app.post(DOC_BODY, DOC_HEADERS)
    assert response.status == 404
    assert [c.method for c in app.fake.calls] == ["auth.test"]


async def test_documented_example_is_stale_six_minutes_later(start_app: Starter) -> None:
    app = await start_app(before=freeze(DOC_TIMESTAMP + 301), signing_secret=DOC_SECRET)
    response = await app.post(DOC_BODY, DOC_HEADERS)
    assert response.status == 401
    assert app.fake.calls == []


async def test_forged_signature_is_refused_and_touches_nothing(running: RunningApp) -> None:
    body = command_body("/compare", "cursor vs copilot", running.fake.response_url("x"))
    headers = sign(body, secret="not-the-secret")
    response = await running.post(body, headers)
    assert response.status == 401
    assert running.fake.calls == []
    assert await nothing_stored(running.runtime.database)


async def test_body_changed_after_signing_is_refused(running: RunningApp) -> None:
    body = command_body("/vote", "cursor ship", running.fake.response_url("x"))
    headers = sign(body)
    response = await running.post(body.replace("ship", "skip"), headers)
    assert response.status == 401
    assert await nothing_stored(running.runtime.database)


async def test_stale_timestamp_is_refused(running: RunningApp) -> None:
    import time

    body = command_body("/compare", "cursor vs copilot", running.fake.response_url("x"))
    response = await running.post(body, sign(body, timestamp=int(time.time()) - 6 * 60))
    assert response.status == 401
    assert running.fake.calls == []
    assert await nothing_stored(running.runtime.database)


async def test_missing_headers_are_refused(running: RunningApp) -> None:
    body = command_body("/compare", "cursor vs copilot", running.fake.response_url("x"))
    signed = sign(body)
    for headers in (
        {},
        {"X-Slack-Signature": signed["X-Slack-Signature"]},
        {"X-Slack-Request-Timestamp": signed["X-Slack-Request-Timestamp"]},
        {**signed, "X-Slack-Request-Timestamp": "yesterday"},
    ):
        response = await running.post(body, headers)
        assert response.status == 401, headers
    assert running.fake.calls == []
    assert await nothing_stored(running.runtime.database)


async def test_oversized_body_is_refused_before_parsing(running: RunningApp) -> None:
    body = command_body("/compare", "cursor vs " + "x" * 1_100_000, running.fake.response_url("x"))
    response = await running.post(body, sign(body, SIGNING_SECRET))
    assert response.status == 413
    assert running.fake.calls == []
    assert await nothing_stored(running.runtime.database)
