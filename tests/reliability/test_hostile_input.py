"""Hostile input at every HTTP entry point: random bytes, odd unicode, injection attempts.

Every request gets a clear 4xx or a normal page; never a 500, never an exception in the log,
and no data changes unless the request was a valid one.
"""

from __future__ import annotations

import logging
import random
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.digest_models import Subscriber
from db.models import Bookmark, Vote
from tests.slack.conftest import RunningApp, Starter
from tests.slack.signing import sign

NASTY = [
    "",
    "\x00",
    "\u202e\u200d",
    "🚀" * 50,
    "<!channel>",
    "<!everyone> @here",
    "&lt;!here&gt;",
    "'; DROP TABLE votes; --",
    "%00%ff",
    "../../etc/passwd",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "a" * 5000,
    "\ud7ff\ue000",
    "ＣＵＲＳＯＲ",
    "مرحبا",
    "null",
    "[]",
    "{}",
]
texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=300))
raw_bytes = st.binary(max_size=4000)

PATHS_GET = [
    "/subscribe",
    "/digests",
    "/digests/{x}",
    "/confirm/{x}",
    "/unsubscribe/{x}",
    "/healthz",
]
PATHS_POST = ["/subscribe", "/unsubscribe/{x}", "/slack/events"]


@pytest.fixture
async def app(start_app: Starter) -> RunningApp:
    return await start_app()


async def counts(app: RunningApp) -> tuple[int, int, int]:
    async with app.runtime.database.read() as session:
        return (
            int(await session.scalar(select(func.count(Vote.id))) or 0),
            int(await session.scalar(select(func.count(Bookmark.id))) or 0),
            int(await session.scalar(select(func.count(Subscriber.id))) or 0),
        )


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PATHS_GET), value=texts)
async def test_get_anything(
    app: RunningApp, caplog: pytest.LogCaptureFixture, path: str, value: str
):
    url = app.base + path.format(x=urllib.parse.quote(value, safe=""))
    async with app.http.get(url) as response:
        await response.read()
        assert response.status < 500, (url, response.status)
    no_errors_logged(caplog)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(PATHS_POST),
    body=st.one_of(raw_bytes, texts.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json",
            "text/plain",
            "application/octet-stream",
        ]
    ),
)
async def test_post_random_bodies(
    app: RunningApp, caplog: pytest.LogCaptureFixture, path: str, body: bytes, content_type: str
):
    """Unsigned or unreadable bodies: refused or answered plainly, nothing stored."""
    before = await counts(app)
    url = app.base + path.format(x="not-a-token")
    async with app.http.post(url, data=body, headers={"Content-Type": content_type}) as response:
        await response.read()
        assert response.status < 500, (path, response.status)
        if path == "/slack/events":
            assert response.status == 401  # no signature, nothing else is looked at
    assert await counts(app) == before
    no_errors_logged(caplog)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=raw_bytes)
async def test_signed_garbage_to_slack(
    app: RunningApp, caplog: pytest.LogCaptureFixture, body: bytes
):
    """Correctly signed but meaningless bodies are answered without a 500 or a traceback."""
    text = body.decode("latin-1")
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(text)}
    async with app.http.post(
        f"{app.base}/slack/events", data=text.encode("latin-1"), headers=headers
    ) as response:
        await response.read()
        assert response.status < 500
    no_errors_logged(caplog)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    command=st.sampled_from(
        [
            "/compare",
            "/vote",
            "/bookmark",
            "/tool",
            "/bookmarks",
            "/subscribe",
            "/digest",
            "/shiporskip",
        ]
    ),
    text=texts,
)
async def test_signed_slash_commands_with_hostile_text(
    app: RunningApp, caplog: pytest.LogCaptureFixture, command: str, text: str
):
    """Any text in any command: acked, answered, and nothing echoed can ping a channel."""
    from tests.slack.signing import command_body

    body = command_body(command, text.replace("\x00", ""), app.fake.response_url("h"))
    response = await app.post(body)
    assert response.status == 200
    no_errors_logged(caplog)


async def test_slack_answers_never_ping(app: RunningApp):
    """After the hostile runs, no recorded Slack call contains a broadcast mention."""
    from tests.slack.signing import command_body

    acks: list[str] = []
    texts = ("<!channel> vs <!here>", "@everyone vs &lt;!channel&gt;", "cursor <!everyone>")
    for n, text in enumerate(texts):
        # Each command has its own response_url (Slack allows one five uses). /compare
        # answers in its ack when ready in time, /vote through its response_url.
        response = await app.post(command_body("/compare", text, app.fake.response_url(f"p{n}")))
        acks.append(await response.text())
        await app.post(command_body("/vote", text + " ship", app.fake.response_url(f"q{n}")))
    # A card not ready within the ack's second follows at its own response_url.
    late = sum("blocks" not in a for a in acks)
    await app.fake.wait_calls("response_url", count=3 + late)
    followed = {c.payload["_key"] for c in app.fake.named("response_url") if "blocks" in c.payload}
    assert all("blocks" in a or f"p{n}" in followed for n, a in enumerate(acks))
    assert app.fake.problems == []
    for dumped in [*acks, *(str(call.payload) for call in app.fake.calls)]:
        for mention in ("<!channel>", "<!here>", "<!everyone>"):
            assert mention not in dumped


def test_nasty_strings_cover_the_obvious():
    assert any("<!channel>" in s for s in NASTY) and random.Random(1).choice(NASTY) is not None
