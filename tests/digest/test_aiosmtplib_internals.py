"""aiosmtplib's private API that digest/_aiosmtplib_internals.py uses still exists and works.

When one of these fails after an aiosmtplib upgrade, the message names what moved; fix it
in _aiosmtplib_internals.py (and only there), then lift the cap in pyproject.toml.
"""

from __future__ import annotations

import inspect

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol

from digest._aiosmtplib_internals import write_data_body
from tests.digest.smtp_sink import SmtpSink

UPGRADE = "aiosmtplib upgrade broke digest/_aiosmtplib_internals.py: "


def test_the_protocol_offers_write_and_a_timed_read_response():
    """SMTPProtocol.write(bytes) and SMTPProtocol.read_response(timeout=…) exist."""
    assert callable(getattr(SMTPProtocol, "write", None)), UPGRADE + "SMTPProtocol.write is gone"
    read = getattr(SMTPProtocol, "read_response", None)
    assert callable(read), UPGRADE + "SMTPProtocol.read_response is gone"
    assert "timeout" in inspect.signature(read).parameters, (
        UPGRADE + "SMTPProtocol.read_response lost its timeout argument"
    )


async def test_a_body_written_on_the_protocol_is_delivered(sink: SmtpSink):
    """After DATA's 354, the body written through the door arrives and the 250 is returned."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
    assert getattr(client, "protocol", "missing") is None, UPGRADE + "SMTP.protocol is gone"
    await client.connect()
    try:
        assert isinstance(client.protocol, SMTPProtocol), UPGRADE + "SMTP.protocol changed type"
        await client.ehlo()
        await client.mail("digest@example.com")
        await client.rcpt("ada@example.com")
        start = await client.execute_command(b"DATA")
        assert start.code == 354
        body = b"Subject: hi\r\n\r\nhello\r\n..leading dot\r\n.\r\n"
        done = await write_data_body(client, body, reply_within_s=5)
        assert done.code == 250, UPGRADE + f"reply to the body was {done}"
        await sink.wait_for(1)
    finally:
        await client.quit()
    assert sink.messages[0].recipients == ["ada@example.com"]
    assert b".leading dot" in sink.messages[0].data


async def test_a_closed_client_raises_disconnected():
    """No protocol (never connected, or dropped) is SMTPServerDisconnected, not AttributeError."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=9)
    try:
        await write_data_body(client, b".\r\n", reply_within_s=1)
    except aiosmtplib.SMTPServerDisconnected:
        return
    raise AssertionError("write_data_body without a connection did not raise")
