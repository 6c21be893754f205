"""Build and serve the aiohttp application that every HTTP-facing part adds routes to."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.body_timeout import body_timeout_middleware
from bot.web.security_headers import install_security_headers
from bot.web.server_limits import CappedTCPSite, ServerLimits

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime")
# {"port": n} once the separate metrics listener is up (METRICS_PORT=0 picks a free port).
METRICS_LISTENER_KEY: web.AppKey[dict[str, int]] = web.AppKey("metrics_listener")
# Slack caps request bodies far below this; anything larger is refused before parsing.
MAX_BODY_BYTES = 1_000_000
DEFAULT_LIMITS = ServerLimits()

RouteInstaller = Callable[[web.Application, "Runtime"], None]


def build_web_app(
    runtime: Runtime, installers: list[RouteInstaller], limits: ServerLimits = DEFAULT_LIMITS
) -> web.Application:
    """The application with health, metrics and whatever routes the enabled parts install."""
    from bot.web.health import install_health_routes

    app = web.Application(
        client_max_size=MAX_BODY_BYTES, middlewares=[body_timeout_middleware(limits.body_timeout_s)]
    )
    app[RUNTIME_KEY] = runtime
    install_security_headers(app, https=runtime.settings.app.public_url.startswith("https://"))
    install_health_routes(app, runtime)
    for install in installers:
        install(app, runtime)
    app[METRICS_LISTENER_KEY] = {}
    if runtime.settings.metrics.port is not None:
        app.cleanup_ctx.append(_metrics_listener(runtime, limits))
    return app


async def serve(
    app: web.Application,
    host: str,
    port: int,
    limits: ServerLimits = DEFAULT_LIMITS,
    *,
    reuse_port: bool = False,
) -> web.AppRunner:
    """Start listening; the caller cleans up the returned runner.

    ``reuse_port`` binds with SO_REUSEPORT, so processes on one host share the port and
    the kernel spreads new connections over them (HTTP_REUSE_PORT=1).
    """
    # In-flight requests get a few seconds on shutdown; the whole stop must fit in 10 s.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=3.0, **limits.handler_args())
    await runner.setup()
    site = CappedTCPSite(runner, host, port, limits.max_connections, reuse_port=reuse_port)
    await site.start()
    return runner


def _metrics_listener(
    runtime: Runtime, limits: ServerLimits
) -> Callable[[web.Application], AsyncIterator[None]]:
    """/metrics alone on METRICS_HOST:METRICS_PORT, for as long as the main app runs."""

    async def listener(app: web.Application) -> AsyncIterator[None]:
        from bot.web.health import metrics_handler
        from bot.web.metrics_access import guarded

        settings = runtime.settings.metrics
        metrics_app = web.Application()
        install_security_headers(metrics_app, https=False)
        metrics_app.router.add_get("/metrics", guarded(metrics_handler(runtime), settings))
        assert settings.port is not None
        runner = await serve(metrics_app, settings.host, settings.port, limits)
        app[METRICS_LISTENER_KEY]["port"] = bound_port(runner)
        log.info("metrics on http://%s:%s/metrics", settings.host, bound_port(runner))
        try:
            yield
        finally:
            await runner.cleanup()

    return listener


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (useful with HTTP_PORT=0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("web app is not listening")
