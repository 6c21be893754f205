"""Every response, error pages included, carries the security headers."""

from __future__ import annotations

import aiohttp
import pytest

from bot.web.security_headers import CONTENT_SECURITY_POLICY
from tests.web.conftest import Serve


@pytest.mark.parametrize("path", ["/healthz", "/no-such-page", "/subscribe"])
async def test_headers_on_every_response(serve_app: Serve, path: str) -> None:
    served = await serve_app()
    async with aiohttp.ClientSession() as http, http.get(served.base + path) as response:
        headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Server"] == "shiporskip"
    assert "aiohttp" not in str(headers).lower()


async def test_no_hsts_over_plain_http(serve_app: Serve) -> None:
    served = await serve_app(public_url="http://127.0.0.1:8080")
    async with aiohttp.ClientSession() as http, http.get(served.base + "/healthz") as response:
        assert "Strict-Transport-Security" not in response.headers
