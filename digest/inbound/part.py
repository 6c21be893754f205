"""What `shiporskip run` starts for bounces: the SMTP/LMTP receiver and the SES route."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from digest.deliverability import verp_for
from digest.inbound.record import BounceRecorder
from digest.inbound.ses import install_ses_route
from digest.inbound.smtp import serve_bounces

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)


def _recorder(runtime: Runtime) -> BounceRecorder:
    return BounceRecorder(runtime.database, verp_for(runtime.settings))


async def bounce_part(runtime: Runtime) -> None:
    """Receive bounce reports on BOUNCE_SMTP_PORT until cancelled."""
    mail = runtime.settings.mail
    assert mail.bounce_smtp_port is not None
    server = await serve_bounces(
        _recorder(runtime), mail.bounce_smtp_host, mail.bounce_smtp_port, lmtp=mail.bounce_lmtp
    )
    port = server.sockets[0].getsockname()[1]
    log.info(
        "bounce %s receiver on %s:%d",
        "LMTP" if mail.bounce_lmtp else "SMTP",
        mail.bounce_smtp_host,
        port,
    )
    runtime.readiness["bounces"] = lambda: (server.is_serving(), f"port {port}")
    try:
        await asyncio.Event().wait()
    finally:
        runtime.readiness.pop("bounces", None)
        server.close()
        await server.wait_closed()


def ses_route_installer(app: web.Application, runtime: Runtime) -> None:
    topics = {
        t.strip() for t in (runtime.settings.mail.ses_topic_arn or "").split(",") if t.strip()
    }
    install_ses_route(app, _recorder(runtime), topics)
