"""GET /healthz (alive), /readyz (able to serve) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from jinja2 import Environment, TemplateError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics, vote_spikes
from db.queries.health import ping
from digest.render import TEMPLATE_NAMES, environment

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)
DB_CHECK_TIMEOUT_S = 2.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TemplateCheck = Callable[[], tuple[bool, str]]


async def healthz(_request: web.Request) -> web.Response:
    """The process is up and its event loop answers."""
    return web.json_response({"status": "ok"})


async def database_ready(runtime: Runtime) -> tuple[bool, str]:
    try:
        async with asyncio.timeout(DB_CHECK_TIMEOUT_S), runtime.database.read() as session:
            await ping(session)
    except Exception as exc:
        return False, f"unreachable: {type(exc).__name__}"
    return True, "reachable"


def templates_ready(env: Callable[[], Environment] = environment) -> tuple[bool, str]:
    """Every digest template loads: an install without them would answer 500 on every page."""
    name = TEMPLATE_NAMES[0]
    try:
        loaded = env()
        for name in TEMPLATE_NAMES:
            loaded.get_template(name)
    # The loader itself raises ValueError or ImportError when the package is missing.
    except (TemplateError, ValueError, ImportError) as exc:
        return False, f"cannot load {name}: {type(exc).__name__}"
    return True, f"{len(TEMPLATE_NAMES)} loaded"


def readyz_handler(runtime: Runtime, templates: TemplateCheck = templates_ready) -> Handler:
    async def readyz(_request: web.Request) -> web.Response:
        checks: dict[str, dict[str, object]] = {}
        ok, detail = await database_ready(runtime)
        checks["database"] = {"ok": ok, "detail": detail}
        ok, detail = templates()
        checks["templates"] = {"ok": ok, "detail": detail}
        for name, (part_ok, part_detail) in sorted(runtime.checks().items()):
            checks[name] = {"ok": part_ok, "detail": part_detail}
        ready = all(bool(c["ok"]) for c in checks.values()) and not runtime.stopping.is_set()
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        if runtime.stopping.is_set():
            body["detail"] = "shutting down"
        return web.json_response(body, status=200 if ready else 503)

    return readyz


def metrics_handler(runtime: Runtime) -> Handler:
    async def serve_metrics(_request: web.Request) -> web.Response:
        pool = runtime.database.engine.sync_engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            metrics.DB_POOL_IN_USE.set(checked_out())
        try:
            await vote_spikes.refresh_gauge(runtime.database)
        except Exception:  # a scrape still answers when the database is away
            log.warning("vote spike gauge not refreshed", exc_info=True)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return serve_metrics


def install_health_routes(app: web.Application, runtime: Runtime) -> None:
    from bot.web.metrics_access import guarded

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz_handler(runtime))
    metrics_settings = runtime.settings.metrics
    if metrics_settings.port is None:  # else it has its own listener (bot/web/app.py)
        app.router.add_get("/metrics", guarded(metrics_handler(runtime), metrics_settings))
