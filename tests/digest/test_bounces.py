"""Bounces and complaints coming back: SMTP receiver, SES webhook, suspension rules."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from bot.status import bounce_rows
from db.digest_models import Subscriber
from db.engine import Database
from digest.inbound.record import BounceRecorder
from digest.inbound.reports import parse_report
from digest.inbound.ses import SnsVerifier, fetch_https, install_ses_route, is_sns_url
from digest.inbound.smtp import serve_bounces
from digest.pipeline import DigestDeps, send_week
from digest.verp import Verp
from digest.weeks import parse_week
from tests.digest.conftest import add_subscribers, add_week_news
from tests.digest.deliverability import BOUNCE, arf, dsn, mail_report, signed_deps
from tests.digest.smtp_sink import SmtpSink

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
WEEKS = ["2026-W21", "2026-W22", "2026-W23", "2026-W24"]


@pytest.fixture
async def signed(
    demo_database: Database, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[DigestDeps]:
    # Every week has news: a quiet week is not mailed, and these tests need each one sent.
    for week in WEEKS:
        await add_week_news(demo_database, parse_week(week))
    deps = signed_deps(demo_database, sink, tmp_path)
    yield deps
    await deps.sender.close()


@pytest.fixture
async def receiver(signed: DigestDeps) -> AsyncIterator[int]:
    recorder = BounceRecorder(signed.database, Verp("test-secret", BOUNCE))
    server = await serve_bounces(recorder, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def statuses(database: Database) -> dict[str, str]:
    async with database.read() as session:
        rows = await session.execute(select(Subscriber.email, Subscriber.status))
        return {r[0]: r[1] for r in rows}


def envelope_of(sink: SmtpSink, email: str, nth: int = -1) -> str:
    return [m.sender for m in sink.messages if m.recipients == [email]][nth]


async def test_a_dsn_and_an_arf_report_suspend_the_right_subscribers(
    signed: DigestDeps, sink: SmtpSink, receiver: int
) -> None:
    emails = await add_subscribers(signed.database, 4)
    await send_week(signed, parse_week(WEEKS[0]))
    # The DSN names a different address: the VERP envelope is what counts.
    await mail_report(receiver, envelope_of(sink, emails[1]), dsn("alias@forwarder.example"))
    # The complaint comes to the plain address; its Original-Mail-From carries the token.
    await mail_report(receiver, BOUNCE, arf(emails[2], envelope_of(sink, emails[2])))
    assert await statuses(signed.database) == {
        emails[0]: "confirmed",
        emails[1]: "suspended",
        emails[2]: "suspended",
        emails[3]: "confirmed",
    }
    rows = dict(await bounce_rows(signed.database))
    assert (
        rows[f"bounces {WEEKS[0]}"]
        == "4 sent; hard 1 (25.00%), soft 0 (0.00%), complaints 1 (25.00%)"
    )


async def test_the_receiver_refuses_addresses_that_are_not_bounce_tokens(
    signed: DigestDeps, receiver: int
) -> None:
    import aiosmtplib

    emails = await add_subscribers(signed.database, 1)
    forged = Verp("another-secret", BOUNCE).address(1, 1)
    for target in (forged, "postmaster@sos.example"):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await mail_report(receiver, target, dsn(emails[0]))
    assert (await statuses(signed.database))[emails[0]] == "confirmed"


async def test_three_soft_bounces_in_a_row_suspend_but_not_with_a_success_between(
    signed: DigestDeps, sink: SmtpSink, receiver: int
) -> None:
    steady, patchy = await add_subscribers(signed.database, 2)
    bounced = {steady: {0, 1, 2}, patchy: {0, 2, 3}}  # patchy's issue 1 arrived fine
    for index, week in enumerate(WEEKS):
        await send_week(signed, parse_week(week))
        for email, issues in bounced.items():
            if index in issues and (await statuses(signed.database))[email] == "confirmed":
                await mail_report(
                    receiver,
                    envelope_of(sink, email),
                    dsn(email, action="delayed", status="4.2.2"),
                )
        if index == 1:
            assert (await statuses(signed.database))[steady] == "confirmed"
    final = await statuses(signed.database)
    assert final[steady] == "suspended"
    assert final[patchy] == "confirmed"


async def test_smtp_failures_count_in_a_row_only(signed: DigestDeps, sink: SmtpSink) -> None:
    """hard_failures goes back to zero after a delivery that succeeded."""
    (email,) = await add_subscribers(signed.database, 1)
    answers: list[str | None] = ["550 no such user", "550 no such user", None, "550 no such user"]
    for week, answer in zip(WEEKS, answers, strict=True):
        sink.script.answers[email] = [answer]
        await send_week(signed, parse_week(week))
    async with signed.database.read() as session:
        subscriber = (await session.scalars(select(Subscriber))).one()
    assert subscriber.status == "confirmed"
    assert subscriber.hard_failures == 1


def test_report_parsing() -> None:
    hard = parse_report(dsn("a@example.com"))
    assert [(r.kind, r.status, r.recipient) for r in hard] == [("hard", "5.1.1", "a@example.com")]
    soft = parse_report(dsn("a@example.com", action="failed", status="4.4.7"))
    assert soft[0].kind == "soft"
    assert parse_report(dsn("a@example.com", action="delivered", status="2.0.0")) == []
    complaint = parse_report(arf("a@example.com", "bounces+x@b.example"))
    assert [(r.kind, r.recipient, r.envelope_hint) for r in complaint] == [
        ("complaint", "a@example.com", "bounces+x@b.example")
    ]
    assert parse_report(b"Subject: out of office\r\n\r\nI am away.\r\n") == []


# --- Amazon SES through SNS ---------------------------------------------------------------


def _self_signed() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def _sns(
    key: rsa.RSAPrivateKey, cert_url: str, notification: dict[str, Any], version: str
) -> dict[str, Any]:
    message = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": json.dumps(notification),
        "Timestamp": "2026-05-25T09:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
    }
    canonical = "".join(
        f"{k}\n{message[k]}\n" for k in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
    ).encode()
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(
        key.sign(canonical, padding.PKCS1v15(), algorithm)
    ).decode()
    return message


async def test_ses_notifications_are_believed_only_when_signed(
    signed: DigestDeps, sink: SmtpSink
) -> None:
    emails = await add_subscribers(signed.database, 3)
    await send_week(signed, parse_week(WEEKS[0]))
    key, pem = _self_signed()
    other_key, _ = _self_signed()
    # The signing certificate, served from loopback; the test allow-list trusts only it.
    cert_app = web.Application()

    async def serve_cert(request: web.Request) -> web.Response:
        return web.Response(body=pem)

    cert_app.router.add_get("/SimpleNotificationService-test.pem", serve_cert)
    async with TestServer(cert_app) as cert_server:
        cert_url = str(cert_server.make_url("/SimpleNotificationService-test.pem"))
        verifier = SnsVerifier(fetch_https, allowed=lambda url: url == cert_url)
        app = web.Application()
        recorder = BounceRecorder(signed.database, Verp("test-secret", BOUNCE))
        install_ses_route(app, recorder, {TOPIC}, verifier)
        async with TestClient(TestServer(app)) as client:

            def bounce(email: str) -> dict[str, Any]:
                return {
                    "notificationType": "Bounce",
                    "bounce": {
                        "bounceType": "Permanent",
                        "bouncedRecipients": [{"emailAddress": email, "status": "5.1.1"}],
                    },
                    "mail": {"source": envelope_of(sink, email), "destination": [email]},
                }

            def complaint(email: str) -> dict[str, Any]:
                return {
                    "notificationType": "Complaint",
                    "complaint": {"complainedRecipients": [{"emailAddress": email}]},
                    "mail": {"source": envelope_of(sink, email)},
                }

            forged = _sns(other_key, cert_url, bounce(emails[0]), "2")
            elsewhere = _sns(key, "https://evil.example/cert.pem", bounce(emails[0]), "2")
            tampered = _sns(key, cert_url, bounce(emails[1]), "2")
            tampered["Message"] = json.dumps(bounce(emails[0]))
            for message in (forged, elsewhere, tampered):
                response = await client.post("/inbound/ses", data=json.dumps(message))
                assert response.status == 403
            assert set((await statuses(signed.database)).values()) == {"confirmed"}
            for message in (
                _sns(key, cert_url, bounce(emails[0]), "2"),
                _sns(key, cert_url, complaint(emails[1]), "1"),
            ):
                response = await client.post("/inbound/ses", data=json.dumps(message))
                assert response.status == 200, await response.text()
    assert await statuses(signed.database) == {
        emails[0]: "suspended",
        emails[1]: "suspended",
        emails[2]: "confirmed",
    }


def test_only_amazon_sns_hosts_may_serve_certificates() -> None:
    assert is_sns_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem")
    for url in (
        "http://sns.eu-west-1.amazonaws.com/x.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
    ):
        assert not is_sns_url(url), url
