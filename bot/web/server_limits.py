"""How long a client may take and how many may be connected: aiohttp's one door.

- Headers: aiohttp (3.9+) arms its keep-alive timer when a connection opens and data
  that does not complete a request does not extend it, so ``keepalive_timeout`` is also
  the time a client gets to send its first (and each next) request's headers. A client
  dribbling headers byte by byte is closed when it runs out.
- Bodies: aiohttp has no body timeout; see bot/web/body_timeout.py.
- Connections: aiohttp has no cap, so the listening socket's protocol factory answers
  503 and closes once ``max_connections`` are open. This reaches into TCPSite's
  private attributes (``_runner``, ``_host``...); tests/web/test_server_limits.py fails
  loudly if an upgrade moves them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Time and connection budgets of the web app."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_connections: int = 1000
    # Bytes aiohttp buffers per read; with client_max_size this bounds memory per client.
    read_bufsize: int = 2**16

    def handler_args(self) -> dict[str, Any]:
        """Keyword arguments for aiohttp's per-connection RequestHandler."""
        return {
            "keepalive_timeout": self.header_timeout_s,
            "read_bufsize": self.read_bufsize,
            "max_line_size": 8190,
            "max_field_size": 8190,
        }


class _Busy(asyncio.Protocol):
    """Answers 503 and hangs up: over the connection cap."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_BUSY)
        transport.close()


def _capped(server: web.Server, cap: int) -> Callable[[], asyncio.BaseProtocol]:
    def protocol() -> asyncio.BaseProtocol:
        if len(server.connections) >= cap:
            return _Busy()
        return server()

    return protocol


class CappedTCPSite(web.TCPSite):
    """TCPSite whose listener refuses connections beyond ``max_connections``."""

    def __init__(
        self,
        runner: web.AppRunner,
        host: str,
        port: int,
        max_connections: int,
        *,
        reuse_port: bool = False,
    ) -> None:
        super().__init__(runner, host, port, reuse_port=reuse_port or None)
        self._max_connections = max_connections

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            _capped(server, self._max_connections),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
