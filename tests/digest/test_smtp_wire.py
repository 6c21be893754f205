"""The message on the wire: DATA's form (CRLF, dot-stuffing) and the SMTP envelope.

The digest skips aiosmtplib's per-message rescans by being in wire form already;
these tests hold it to that, and check through a real aiosmtpd server that what
arrives is byte for byte what was built.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from db.engine import Database
from db.models import Tool
from digest.message import (
    MAX_LINE,
    DigestMessages,
    Outgoing,
    _compact,
    is_smtp_ready,
    smtp_payload,
)
from digest.render import render_issue
from digest.snapshot import build_snapshot
from tests.digest.conftest import PUBLIC_URL, WEEK, seed_week, smtp_sender
from tests.digest.smtp_sink import SmtpSink

DOTTY_NAME = ".env Doctor. .. ...and more"


def test_payload_repairs_line_ends_and_doubles_leading_periods() -> None:
    raw = b".first\nsecond\r.third\r\n..fourth\r\nlast"
    assert smtp_payload(raw) == b"..first\r\nsecond\r\n..third\r\n...fourth\r\nlast\r\n"


def test_ready_means_nothing_to_repair() -> None:
    assert is_smtp_ready(b"a\r\nb.c\r\n")
    assert not is_smtp_ready(b".a\r\n")
    assert not is_smtp_ready(b"a\r\n.b\r\n")
    assert not is_smtp_ready(b"a\nb\r\n")
    assert not is_smtp_ready(b"a\rb\r\n")
    assert not is_smtp_ready(b"a\r\nb")


@given(st.binary(max_size=300) | st.text(alphabet=".\r\n ab", max_size=80).map(str.encode))
def test_a_ready_message_is_its_own_payload(data: bytes) -> None:
    if is_smtp_ready(data):
        assert smtp_payload(data) == data
    else:
        assert smtp_payload(data) != data


words = st.text(alphabet="ab.<>/=\"'", min_size=1, max_size=40)


@given(st.lists(words, max_size=200))
def test_compacted_html_keeps_every_word_and_starts_no_line_with_a_period(
    parts: list[str],
) -> None:
    html = "<p>" + " ".join(parts) + "</p>"
    lines = _compact(html).split("\r\n")
    assert " ".join(lines) == html
    assert all(len(line) <= MAX_LINE for line in lines)
    assert not any(line.startswith(".") for line in lines)


@pytest.fixture
async def dotty_messages(demo_database: Database) -> DigestMessages:
    """A full week whose top tool's name starts with a period, as a line might."""
    await seed_week(demo_database)
    async with demo_database.write() as session:
        tool = (await session.scalars(select(Tool).order_by(Tool.id).limit(1))).one()
        tool.name = DOTTY_NAME
    rendered = render_issue(await build_snapshot(demo_database, WEEK), PUBLIC_URL)
    assert DOTTY_NAME in rendered.text
    return DigestMessages(
        html_body=rendered.html,
        text_body=rendered.text,
        subject=rendered.subject,
        mail_from="Ship or Skip <digest@sos.example>",
        placeholders=rendered.placeholders,
        unsubscribe_mailto="unsubscribe@sos.example",
    )


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


async def test_a_digest_is_built_in_wire_form(dotty_messages: DigestMessages) -> None:
    message = dotty_messages.build("reader@example.com", f"{PUBLIC_URL}/unsubscribe/t.o.k")
    assert message.smtp_ready
    assert smtp_payload(message.data) == message.data


async def test_the_digest_arrives_byte_for_byte(
    dotty_messages: DigestMessages, sink: SmtpSink
) -> None:
    sender = smtp_sender(sink)
    built = [
        dotty_messages.build(f"r{i}@example.com", f"{PUBLIC_URL}/unsubscribe/{i}") for i in range(3)
    ]
    try:
        outcomes = await asyncio.gather(*(sender.send(m) for m in built))
    finally:
        await sender.close()
    assert [o.status for o in outcomes] == ["sent"] * 3
    received = {m.recipients[0]: m for m in sink.messages}
    for message in built:
        arrived = received[message.recipient]
        assert arrived.sender == "digest@sos.example"
        assert arrived.data == message.data
        html = arrived.parsed().get_body(("html",)).get_content()
        assert DOTTY_NAME in html


async def test_a_message_not_in_wire_form_is_stuffed_and_arrives_intact(
    sink: SmtpSink,
) -> None:
    body = b"Subject: dots\n\n.one\n..two\nthree.\r\n.\r\nend"
    sender = smtp_sender(sink)
    try:
        outcome = await sender.send(Outgoing("a@sos.example", "b@example.com", body))
    finally:
        await sender.close()
    assert outcome.status == "sent"
    assert sink.messages[0].data == b"Subject: dots\r\n\r\n.one\r\n..two\r\nthree.\r\n.\r\nend\r\n"


async def test_refusals_at_rcpt_are_retried_or_failed(sink: SmtpSink) -> None:
    sink.script.answers["later@example.com"] = ["rcpt:450 mailbox busy", None]
    sink.script.answers["gone@example.com"] = ["rcpt:550 no such user"]
    sender = smtp_sender(sink, concurrency=1)
    try:
        later = await sender.send(Outgoing("a@sos.example", "later@example.com", b"x\r\n"))
        gone = await sender.send(Outgoing("a@sos.example", "gone@example.com", b"x\r\n"))
        after = await sender.send(Outgoing("a@sos.example", "fine@example.com", b"y\r\n"))
    finally:
        await sender.close()
    assert later.status == "sent"
    assert gone.status == "failed" and gone.detail.startswith("550")
    assert after.status == "sent"  # the refused envelope was reset, the connection kept
    assert sink.recipients() == {"later@example.com": 1, "fine@example.com": 1}
    assert sink.connections == 1


async def test_an_international_address_uses_smtputf8(sink: SmtpSink) -> None:
    sender = smtp_sender(sink)
    try:
        outcome = await sender.send(Outgoing("a@sos.example", "jörg@bücher.example", b"x\r\n"))
    finally:
        await sender.close()
    assert outcome.status == "sent"
    assert sink.recipients() == {"jörg@bücher.example": 1}


async def test_a_server_without_smtputf8_fails_that_address_clearly() -> None:
    plain = await SmtpSink(smtputf8=False).start()
    sender = smtp_sender(plain)
    try:
        outcome = await sender.send(Outgoing("a@sos.example", "jörg@bücher.example", b"x\r\n"))
        fine = await sender.send(Outgoing("a@sos.example", "jo@example.com", b"x\r\n"))
    finally:
        await sender.close()
        await plain.stop()
    assert outcome.status == "failed" and re.search("SMTPUTF8", outcome.detail)
    assert fine.status == "sent"
