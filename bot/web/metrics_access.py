"""Who may read /metrics.

- ``METRICS_PORT`` set: /metrics leaves the main app for its own listener
  (``METRICS_HOST``, loopback by default), which a firewall or the network keeps private.
- ``METRICS_TOKEN`` set: /metrics needs ``Authorization: Bearer <token>``.
- Neither: /metrics answers loopback clients only, and never a request that came
  through a proxy (a proxy on the same host would otherwise look like loopback).
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web

from bot.settings import MetricsSettings
from bot.web.health import Handler

_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def allowed(request: web.Request, settings: MetricsSettings) -> bool:
    """Whether ``request`` may read the metrics."""
    token = settings.token.get_secret_value() if settings.token else ""
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if settings.port is not None:
        return True  # its own listener: reaching it is the permission
    proxied = any(name in request.headers for name in _PROXY_HEADERS)
    return _loopback(request.remote) and not proxied


def guarded(handler: Handler, settings: MetricsSettings) -> Handler:
    async def guarded_metrics(request: web.Request) -> web.StreamResponse:
        if not allowed(request, settings):
            # 404, not 401: nothing tells a scanner the endpoint exists.
            raise web.HTTPNotFound()
        return await handler(request)

    return guarded_metrics
