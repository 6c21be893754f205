"""Socket Mode: Slack pushes events over a WebSocket, so no public URL is needed."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_bot.app import front_end_for
from bot.slack_bot.config import SlackConfigError
from bot.slack_bot.retries import retry_handlers

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)


async def run_socket_mode(runtime: Runtime) -> None:
    """The runner's "slack" part when SLACK_APP_TOKEN is set; runs until cancelled."""
    try:
        front = front_end_for(runtime)
    except SlackConfigError as exc:
        raise SystemExit(f"Slack is misconfigured: {exc}") from exc
    app_token = front.config.app_token
    web_client = AsyncWebClient(
        token=app_token, base_url=front.config.api_url, retry_handlers=retry_handlers()
    )
    handler = AsyncSocketModeHandler(front.app, app_token, web_client=web_client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("slack socket mode connected")

    def connected() -> tuple[bool, str]:
        session = handler.client.current_session
        up = session is not None and not session.closed
        return up, "socket mode connected" if up else "reconnecting"

    runtime.readiness["slack"] = connected
    try:
        await asyncio.Event().wait()
    finally:
        runtime.readiness.pop("slack", None)
        await handler.close_async()  # type: ignore[no-untyped-call]
        await front.close()
