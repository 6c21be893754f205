"""Helpers for the deliverability tests: a DKIM key with its DNS stub, reports to send back."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib

from bot.settings import Settings
from db.engine import Database
from digest.pipeline import DigestDeps
from digest.signing import generate_key_pem, load_private_key, public_key_record
from tests.digest.conftest import make_settings, smtp_sender
from tests.digest.smtp_sink import SmtpSink

SELECTOR = "sos2026"
DOMAIN = "sos.example"
BOUNCE = "bounces@bounce.sos.example"


def write_key(directory: Path) -> Path:
    path = directory / "dkim.pem"
    path.write_bytes(generate_key_pem(2048))
    return path


def signed_settings(database: Database, sink: SmtpSink, tmp_path: Path) -> Settings:
    settings = make_settings(database.url, smtp_url=sink.url, outbox=tmp_path / "outbox")
    mail = settings.mail.model_copy(
        update={
            "dkim_selector": SELECTOR,
            "dkim_domain": DOMAIN,
            "dkim_private_key_file": write_key(tmp_path),
            "bounce_address": BOUNCE,
            "mail_reply_to": "editors@sos.example",
            "mail_from": "Ship or Skip <digest@sos.example>",
        }
    )
    return settings.model_copy(update={"mail": mail})


def signed_deps(database: Database, sink: SmtpSink, tmp_path: Path) -> DigestDeps:
    settings = signed_settings(database, sink, tmp_path)
    return DigestDeps.from_settings(database, settings, sender=smtp_sender(sink))


def dns_stub(settings: Settings) -> dict[bytes, bytes]:
    """What `mail dns` tells the admin to publish, as dkimpy's resolver sees it."""
    mail = settings.mail
    assert mail.dkim_private_key_file is not None
    record = public_key_record(load_private_key(mail.dkim_private_key_file))
    return {f"{SELECTOR}._domainkey.{DOMAIN}.".encode(): record.encode()}


def dsn(recipient: str, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A delivery status notification as Postfix writes one (RFC 3464)."""
    return (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        "To: bounces@bounce.sos.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n--B1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "\r\n--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "Arrival-Date: Mon, 25 May 2026 09:00:00 +0000\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n"
        "\r\n--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Ship or Skip <digest@sos.example>\r\nTo: {recipient}\r\n"
        "Subject: the digest\r\n"
        "\r\n--B1--\r\n"
    ).encode()


def arf(recipient: str, envelope_sender: str) -> bytes:
    """An abuse report in the Abuse Reporting Format (RFC 5965)."""
    return (
        "From: fbl@isp.example\r\n"
        "To: fbl@sos.example\r\n"
        "Subject: FW: the digest\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A1"\r\n'
        "\r\n--A1\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
        "\r\n--A1\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: SomeGenerator/1.0\r\n"
        "Version: 1\r\n"
        f"Original-Mail-From: <{envelope_sender}>\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        "\r\n--A1\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: Ship or Skip <digest@sos.example>\r\nTo: {recipient}\r\n"
        "Subject: the digest\r\n\r\nbody\r\n"
        "\r\n--A1--\r\n"
    ).encode()


async def mail_report(port: int, to: str, data: bytes) -> None:
    """Hand a report to the bounce receiver the way a remote MTA would (null sender)."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as client:
        await client.sendmail("", [to], data)
