"""The pages in headless Chromium at 1280 and 375 px: layout, landmarks, labels, contrast.

Screenshots go to a temporary folder (printed) so a person can look at them.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.context import CommandContext
from bot.runner import Runtime, web_route_installers
from bot.web.app import build_web_app
from tests.digest.chromium import FLAGS, chromium

PAGES = {
    "home": "/",
    "compare": "/compare/claude-4-sonnet-vs-smolvlm2-turbo",
    "tool": "/tools/claude-4-sonnet",
}
HARNESS = """<!doctype html><html lang="en"><head><title>audit</title></head>
<body style="margin:0"><iframe id="page" title="page" src="{src}"
style="width:{width}px;height:1400px;border:0"></iframe>
<script src="/__audit.js"></script></body></html>"""
SHOTS = Path(os.environ.get("SITE_SHOTS_DIR") or tempfile.mkdtemp(prefix="site-shots-"))


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[str]:
    app = build_web_app(runtime, web_route_installers(runtime.settings))
    script = Path(__file__).with_name("audit.js").read_text()

    async def harness(request: web.Request) -> web.Response:
        page = request.query["page"]
        width = int(request.query["width"])
        return web.Response(text=HARNESS.format(src=page, width=width), content_type="text/html")

    async def audit_js(_request: web.Request) -> web.Response:
        return web.Response(text=script, content_type="application/javascript")

    async def allow_same_origin_frame(_r: web.Request, response: web.StreamResponse) -> None:
        # The audit reads the page from a same-origin frame; the app forbids all framing.
        # Only the framing headers are loosened, after the app's own headers are set.
        response.headers.pop("X-Frame-Options", None)
        csp = response.headers.get("Content-Security-Policy", "")
        response.headers["Content-Security-Policy"] = csp.replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'"
        )

    app.router.add_get("/__audit", harness)
    app.router.add_get("/__audit.js", audit_js)
    app.on_response_prepare.append(allow_same_origin_frame)
    ctx = CommandContext("slack", "T1", "U1")
    await runtime.service.compare(ctx, "Claude 4 Sonnet", "SmolVLM2 Turbo")
    await runtime.service.vote(ctx, "Claude 4 Sonnet", "ship")
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield str(test_server.make_url("")).rstrip("/")
    await test_server.close()
    if runtime.digest is not None:
        await runtime.digest.sender.close()


async def _chromium(*args: str) -> str:
    # Asynchronous, so the app in this event loop keeps answering Chromium's requests.
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    return out.decode()


async def _audit(base: str, path: str, width: int) -> dict[str, object]:
    dom = await _chromium(
        "--dump-dom",
        "--virtual-time-budget=8000",
        "--window-size=1400,1600",
        f"{base}/__audit?page={path}&width={width}",
    )
    start = dom.index('<pre id="audit">') + len('<pre id="audit">')
    raw = dom[start : dom.index("</pre>", start)]
    return dict(
        json.loads(
            raw.replace("&quot;", '"')
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
        )
    )


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", list(PAGES))
async def test_page_passes_the_audit_at_1280_and_375(server: str, name: str) -> None:
    path = PAGES[name]
    for width in (1280, 375):
        found = await _audit(server, path, width)
        assert found["scrollWidth"] <= found["viewport"], (name, width, found)
        assert found["lang"] == "en"
        assert found["title"]
        assert found["h1"] == 1
        assert found["imagesWithoutAlt"] == 0
        assert found["unlabelled"] == [], found["unlabelled"]
        assert found["lowContrast"] == [], found["lowContrast"]
        # Something was measured: the page's own text, not an empty frame.
        assert 4.5 <= float(found["minContrast"]) < 21.01  # type: ignore[arg-type]
    for width in (1280, 375):
        shot = SHOTS / f"{name}-{width}.png"
        await _chromium(f"--screenshot={shot}", f"--window-size={width},2400", f"{server}{path}")
        assert shot.stat().st_size > 10_000
    print(f"screenshots in {SHOTS}")
