"""The attack: scrape /metrics from outside, or through the public proxy."""

from __future__ import annotations

import aiohttp

from bot.web.app import METRICS_LISTENER_KEY
from tests.web.conftest import Serve


async def _get(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status


async def test_without_token_or_port_only_direct_loopback(serve_app: Serve) -> None:
    served = await serve_app()
    assert await _get(served.base + "/metrics") == 200
    assert await _get(served.base + "/metrics", **{"X-Forwarded-For": "203.0.113.9"}) == 404


async def test_token_is_required_when_set(serve_app: Serve) -> None:
    served = await serve_app(token="metrics-token-123")
    assert await _get(served.base + "/metrics") == 404
    assert await _get(served.base + "/metrics", Authorization="Bearer wrong") == 404
    ok = await _get(served.base + "/metrics", Authorization="Bearer metrics-token-123")
    assert ok == 200


async def test_own_port_moves_metrics_off_the_main_app(serve_app: Serve) -> None:
    served = await serve_app(port=0, host="127.0.0.1")
    assert await _get(served.base + "/metrics") == 404
    port = served.app[METRICS_LISTENER_KEY]["port"]
    assert await _get(f"http://127.0.0.1:{port}/metrics") == 200
