"""The Slack Socket Mode socket closes: the app reconnects and keeps serving."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from bot.runner import Runtime
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import command_body


def compare_envelope(envelope_id: str, fake: FakeSlack) -> dict[str, object]:
    form = dict(
        parse_qsl(command_body("/compare", "cursor vs copilot", fake.response_url(envelope_id)))
    )
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": form,
    }


async def test_socket_closed_by_slack_reconnects_and_serves(
    socket_app: Runtime,
    fake_slack: FakeSlack,
) -> None:
    before = await fake_slack.push(compare_envelope("before", fake_slack))
    # The card is ready in time, so it travels in the ack (Slack's response payload).
    assert before["payload"]["text"] == "Cursor vs GitHub Copilot"
    opened = len(fake_slack.named("apps.connections.open"))
    first = fake_slack.sockets[-1]

    await first.close()  # Slack closes the connection (as it does on refresh or deploys)
    for _ in range(300):
        if fake_slack.sockets and fake_slack.sockets[-1] is not first:
            break
        await asyncio.sleep(0.05)
    assert fake_slack.sockets and fake_slack.sockets[-1] is not first, "no new connection"
    assert len(fake_slack.named("apps.connections.open")) > opened

    ack = await fake_slack.push(compare_envelope("after", fake_slack), within=10)
    assert ack["envelope_id"] == "after"
    assert ack["payload"]["text"] == "Cursor vs GitHub Copilot"
