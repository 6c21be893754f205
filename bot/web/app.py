"""Build and serve the aiohttp application that every HTTP-facing part adds routes to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime")
# Slack caps request bodies far below this; anything larger is refused before parsing.
MAX_BODY_BYTES = 1_000_000

RouteInstaller = Callable[[web.Application, "Runtime"], None]


def build_web_app(runtime: Runtime, installers: list[RouteInstaller]) -> web.Application:
    """The application with health, metrics and whatever routes the enabled parts install."""
    from bot.web.health import install_health_routes

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[RUNTIME_KEY] = runtime
    install_health_routes(app, runtime)
    for install in installers:
        install(app, runtime)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start listening; the caller cleans up the returned runner."""
    # In-flight requests get a few seconds on shutdown; the whole stop must fit in 10 s.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=3.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (useful with HTTP_PORT=0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("web app is not listening")
