"""Retry handlers for every Slack Web API client and response_url answer we build.

Slack answers HTTP 429 ``ratelimited`` with ``Retry-After`` (whole seconds) when a
method's tier (or chat.postMessage's ~1 message/s per channel) is exceeded; slack_sdk's
handler sleeps that long and retries. Connection resets are retried too.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)

# Bounded: past this a click is confirmed by the fallback path (response_url) instead.
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
