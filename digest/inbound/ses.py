"""Amazon SES bounce and complaint notifications, delivered by SNS to POST /inbound/ses.

Every message is checked against its SNS signature before anything is believed:
the signing certificate is fetched only from an allow-listed
``https://sns.<region>.amazonaws.com/...pem`` URL (cached), and the signature must
match the canonical string SNS documents for SignatureVersion 1 (SHA1) or 2 (SHA256).
The fetcher and the allow-list are injectable so tests can use their own CA-less cert.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from digest.inbound.record import BounceRecorder
from digest.inbound.reports import Kind, Report

log = logging.getLogger(__name__)
CertFetcher = Callable[[str], Awaitable[bytes]]
UrlCheck = Callable[[str], bool]
_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_SUBSCRIPTION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
MAX_BODY = 256 * 1024


class ForgedMessage(Exception):
    """The message's signature or certificate does not check out."""


def is_sns_url(url: str) -> bool:
    """Only Amazon's own SNS endpoints may serve certificates or subscription links."""
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and parts.port is None
        and _SNS_HOST.fullmatch(parts.hostname or "") is not None
    )


async def fetch_https(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        return await response.read()


def string_to_sign(message: dict[str, Any]) -> bytes:
    keys = _NOTIFICATION_KEYS if message.get("Type") == "Notification" else _SUBSCRIPTION_KEYS
    lines = []
    for key in keys:
        if key in message and message[key] is not None:
            lines.append(f"{key}\n{message[key]}\n")
    return "".join(lines).encode("utf-8")


class SnsVerifier:
    def __init__(self, fetch: CertFetcher = fetch_https, allowed: UrlCheck = is_sns_url) -> None:
        self._fetch = fetch
        self._allowed = allowed
        self._certs: dict[str, rsa.RSAPublicKey] = {}

    async def verify(self, message: dict[str, Any]) -> None:
        url = str(message.get("SigningCertURL") or message.get("SigningCertUrl") or "")
        if not self._allowed(url) or not url.endswith(".pem"):
            raise ForgedMessage(f"certificate URL not allowed: {url[:200]!r}")
        version = str(message.get("SignatureVersion", ""))
        algorithm: hashes.HashAlgorithm
        if version == "1":
            algorithm = hashes.SHA1()
        elif version == "2":
            algorithm = hashes.SHA256()
        else:
            raise ForgedMessage(f"unknown SignatureVersion {version!r}")
        key = await self._key(url)
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
        except (InvalidSignature, ValueError) as exc:
            raise ForgedMessage("bad signature") from exc

    async def _key(self, url: str) -> rsa.RSAPublicKey:
        if url not in self._certs:
            try:
                cert = x509.load_pem_x509_certificate(await self._fetch(url))
            except (ValueError, OSError, aiohttp.ClientError) as exc:
                raise ForgedMessage(f"cannot load the signing certificate: {exc}") from exc
            key = cert.public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                raise ForgedMessage("the signing certificate is not RSA")
            self._certs[url] = key
        return self._certs[url]


def ses_reports(notification: dict[str, Any]) -> tuple[list[Report], str]:
    """SES's bounce/complaint JSON as reports, and the envelope sender (our VERP address)."""
    kind_name = str(notification.get("notificationType") or notification.get("eventType") or "")
    mail = notification.get("mail") or {}
    source = str(mail.get("source", "")) if isinstance(mail, dict) else ""
    reports: list[Report] = []
    if kind_name == "Bounce":
        bounce = notification.get("bounce") or {}
        kind: Kind = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        for r in bounce.get("bouncedRecipients") or []:
            reports.append(
                Report(
                    kind,
                    str(r.get("status") or ""),
                    str(r.get("emailAddress") or ""),
                    str(r.get("diagnosticCode") or bounce.get("bounceSubType") or "")[:500],
                    source,
                )
            )
    elif kind_name == "Complaint":
        complaint = notification.get("complaint") or {}
        feedback = str(complaint.get("complaintFeedbackType") or "abuse")
        for r in complaint.get("complainedRecipients") or []:
            reports.append(
                Report("complaint", feedback, str(r.get("emailAddress") or ""), "SES", source)
            )
    return reports, source


def install_ses_route(
    app: web.Application,
    recorder: BounceRecorder,
    topics: set[str],
    verifier: SnsVerifier | None = None,
    fetch: CertFetcher = fetch_https,
) -> None:
    """POST /inbound/ses: 403 for anything unsigned, forged or from another topic."""
    checker = verifier or SnsVerifier(fetch)

    async def inbound(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413)
        try:
            message = json.loads(await request.read())
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            return web.Response(status=400, text="not JSON")
        try:
            await checker.verify(message)
        except ForgedMessage as exc:
            log.warning("refused an SNS message: %s", exc)
            return web.Response(status=403, text="signature refused")
        if message.get("TopicArn") not in topics:
            return web.Response(status=403, text="topic not allowed")
        kind = message.get("Type")
        if kind == "SubscriptionConfirmation":
            url = str(message.get("SubscribeURL", ""))
            if not is_sns_url(url) and not checker._allowed(url):
                return web.Response(status=403, text="subscribe URL not allowed")
            await fetch(url)
            return web.Response(text="subscribed")
        if kind != "Notification":
            return web.Response(text="ignored")
        try:
            notification = json.loads(str(message.get("Message", "")))
        except ValueError:
            return web.Response(status=400, text="message is not JSON")
        reports, source = ses_reports(notification if isinstance(notification, dict) else {})
        if reports:
            await recorder.record(reports, [source], "ses")
        return web.Response(text="ok")

    app.router.add_post("/inbound/ses", inbound)
