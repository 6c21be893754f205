"""An SMTP or LMTP receiver (aiosmtpd) for bounces sent back to the VERP addresses.

Only addresses of our bounce domain with a valid token (or the bare bounce address)
are accepted at RCPT, so the port is useless as an open relay or a spam sink.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from digest.inbound.record import BounceRecorder
from digest.inbound.reports import parse_report

log = logging.getLogger(__name__)
MAX_REPORT_BYTES = 2 * 1024 * 1024


class BounceHandler:
    def __init__(self, recorder: BounceRecorder, *, lmtp: bool = False) -> None:
        self.recorder = recorder
        self.lmtp = lmtp

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        verp = self.recorder.verp
        if verp is None:
            return "550 5.1.1 no bounce address configured"
        if address.lower() != verp.bounce_address.lower() and verp.read(address) is None:
            return "550 5.1.1 no such bounce address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        try:
            reports = parse_report(bytes(data))
            if reports:
                await self.recorder.record(reports, envelope.rcpt_tos, "smtp")
        except Exception:
            # Our fault, not the sender's: ask to retry later instead of bouncing a bounce.
            log.exception("could not record a bounce report")
            return "451 4.3.0 try again later"
        if self.lmtp:
            # LMTP answers once per accepted recipient.
            return "\r\n".join("250 2.0.0 OK" for _ in envelope.rcpt_tos)
        return "250 OK"


async def serve_bounces(
    recorder: BounceRecorder, host: str, port: int, *, lmtp: bool = False
) -> asyncio.Server:
    """Start listening; the caller closes the returned server."""
    handler = BounceHandler(recorder, lmtp=lmtp)
    protocol = LMTP if lmtp else SMTP
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: protocol(handler, data_size_limit=MAX_REPORT_BYTES, enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
