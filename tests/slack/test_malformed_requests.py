"""Malformed requests to /slack/events get a 4xx, never a 500, and leave no traceback."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import RunningApp
from tests.slack.signing import sign

TIMESTAMPS = ["9" * 400, "-1", "-" + "9" * 400, "1.5", "1e400", "", " ", "0x10", "١٢٣", "nan"]


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("timestamp", TIMESTAMPS)
async def test_timestamp_of_any_shape_is_refused(
    running: RunningApp, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    """A 400-digit, negative, float or empty timestamp: 401 before anything is parsed."""
    body = urlencode({"command": "/compare", "text": "a vs b"})
    headers = sign(body)
    headers["X-Slack-Request-Timestamp"] = timestamp
    response = await running.post(body, headers=headers)
    assert response.status == 401
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "body",
    [
        urlencode({"payload": "[1,2]"}),
        urlencode({"payload": "null"}),
        urlencode({"payload": "not json"}),
        urlencode({"payload": '"a string"'}),
        urlencode({"payload": "{}"}),
        urlencode({"payload": '{"type": 5}'}),
        "[1,2]",
        "null",
        "{not json",
        '{"type": "event_callback", "event": [1]}',
        "%ff%fe=%00",
    ],
)
async def test_signed_malformed_payload_is_a_4xx(
    running: RunningApp, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    """Correctly signed, but no Slack payload: a 4xx and no traceback."""
    response = await running.post(body)
    assert 400 <= response.status < 500
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", ""]
)
async def test_signed_unknown_content_type_is_a_4xx(
    running: RunningApp, caplog: pytest.LogCaptureFixture, content_type: str
) -> None:
    body = urlencode({"command": "/compare", "text": "a vs b"})
    headers = {**sign(body), "Content-Type": content_type}
    async with running.http.post(
        f"{running.base}/slack/events", data=body.encode(), headers=headers
    ) as response:
        assert 400 <= response.status < 500
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "actions": [1]},
        {"type": "block_actions", "actions": "x"},
        {"type": "view_submission", "view": [1]},
        {"type": "block_actions", "user": 5, "actions": []},
        {"type": ["x"]},
        {"type": "block_actions", "container": "x", "actions": []},
    ],
)
async def test_signed_payload_with_wrong_field_types_is_a_4xx(
    running: RunningApp, caplog: pytest.LogCaptureFixture, payload: dict[str, object]
) -> None:
    import json

    response = await running.post(urlencode({"payload": json.dumps(payload)}))
    assert 400 <= response.status < 500
    _no_traceback(caplog)


async def test_non_utf8_body_is_refused(running: RunningApp, caplog: pytest.LogCaptureFixture):
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign("x")}
    async with running.http.post(
        f"{running.base}/slack/events", data=b"\x80\xff", headers=headers
    ) as response:
        assert response.status == 401
    _no_traceback(caplog)
