"""Answering through a request's response_url over one shared HTTP session.

bolt's own ``respond`` opens a new aiohttp session (and connection) per answer;
under load that costs more than the answer itself. A 429 is waited out (its
``Retry-After``) and retried a bounded number of times by slack_sdk's handlers.
Slack allows a response_url five uses in 30 minutes; callers use it once or twice.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack_bot.retries import retry_handlers

log = logging.getLogger(__name__)


class Responder:
    """``await respond(text=..., blocks=..., response_type=...)`` for one response_url."""

    def __init__(self, session: aiohttp.ClientSession, url: str | None) -> None:
        self.session = session
        self.url = url

    async def __call__(self, **payload: Any) -> bool:
        """Send the answer; whether Slack took it."""
        if not self.url:
            log.warning("no response_url to answer on; dropping the answer")
            return False
        client = AsyncWebhookClient(
            url=self.url, session=self.session, retry_handlers=retry_handlers()
        )
        response = await client.send_dict(payload)
        if response.status_code != 200:
            log.warning("response_url answered %s: %s", response.status_code, response.body[:200])
            return False
        return True
