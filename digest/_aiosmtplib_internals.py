"""The one place we reach past aiosmtplib's public API: writing DATA's body ourselves.

``SMTP.sendmail``/``data`` re-scan the message for line ends and leading periods; the
digest arrives already in DATA's wire form (digest/message.py), so we write it on the
protocol in one call and read the reply. ``SMTP.protocol``, ``SMTPProtocol.write`` and
``SMTPProtocol.read_response(timeout=…)`` are undocumented: pyproject.toml caps
aiosmtplib at the next major release, and tests/digest/test_aiosmtplib_internals.py
fails naming the attribute an upgrade moved.
"""

from __future__ import annotations

import aiosmtplib
from aiosmtplib import SMTPResponse


async def write_data_body(
    client: aiosmtplib.SMTP, body: bytes, reply_within_s: float
) -> SMTPResponse:
    """Send ``body`` (ending in ``.\\r\\n``) after a 354 to DATA; return the server's reply."""
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("connection lost before the message")
    # One write, one send() call: the copy costs less than a second system call.
    protocol.write(body)
    # No await between the write and read_response, which marks the reply as expected
    # before it yields, so the server's answer can't arrive unclaimed.
    return await protocol.read_response(timeout=reply_within_s)
