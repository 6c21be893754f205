"""Subscribers: sign-up with double opt-in, confirmation, unsubscribe, import, export, forget."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.core.views import ErrorView, NoticeView
from db.digest_models import Subscriber, new_link_key
from db.engine import Database
from db.models import utcnow
from db.queries import links, throttles
from db.queries import subscribers as queries
from digest.message import confirmation_message
from digest.render import render_confirmation_html
from digest.senders import Sender
from digest.signing import DkimSigner
from digest.signup_limits import TOO_MANY, SignupLimits, sign_up_answer
from digest.tokens import BadToken, Tokens

log = logging.getLogger(__name__)


class InvalidEmail(ValueError):
    """The address is not one we can send to; the message says why."""


def normalise_email(raw: str) -> str:
    """A canonical form, so the same address typed twice is one subscriber."""
    text = raw.strip()
    if len(text) > 320:
        raise InvalidEmail("That address is too long.")
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"“{text[:80]}” is not an email address we can use: {exc}") from None
    return valid.normalized.lower()


@dataclass(frozen=True, slots=True)
class Mailing:
    """What the sign-up flow needs to write its emails."""

    public_url: str
    mail_from: str
    postal_address: str = ""
    reply_to: str | None = None
    signer: DkimSigner | None = None
    envelope_from: str | None = None


class EmailSubscriptions:
    """The ``bot.core.ports.Subscriptions`` implementation, also used by the web form."""

    def __init__(
        self,
        database: Database,
        tokens: Tokens,
        sender: Sender,
        mailing: Mailing,
        limits: SignupLimits | None = None,
    ):
        self.database = database
        self.tokens = tokens
        self.sender = sender
        self.mailing = mailing
        self.limits = limits or SignupLimits()

    async def request(
        self, email: str, *, source: str, requester: str | None = None
    ) -> NoticeView | ErrorView:
        """Store the address unconfirmed and send the confirmation link, within the limits.

        ``requester`` names who asks (``ip:…`` on the web, ``platform:workspace:user`` in
        chat); each has its own budget of sign-ups.
        """
        try:
            address = normalise_email(email)
        except InvalidEmail as exc:
            return ErrorView("usage", str(exc), usage="/subscribe you@example.com")
        now = utcnow()
        if requester is not None:
            async with self.database.write() as session:
                allowed = await throttles.take(
                    session, "requester", requester, self.limits.per_requester, now
                )
            if not allowed:
                return ErrorView("rate_limited", TOO_MANY)
        link_key: str | None = None
        async with self.database.write() as session:
            # Two sign-ups of one new address at once would both insert it.
            await throttles.hold(session, "address", address)
            subscriber = await _by_email(session, address)
            if subscriber is None:
                subscriber = Subscriber(
                    email=address, status="pending", source=source[:32], link_key=new_link_key()
                )
                session.add(subscriber)
            elif subscriber.status in ("unsubscribed", "suspended"):
                # Someone who left (or bounced) comes back only by confirming again, and
                # with a new key: links from before they left stay dead.
                subscriber.status = "pending"
                subscriber.link_key = new_link_key()
            if subscriber.status == "pending" and await throttles.take(
                session, "address", address, self.limits.per_address, now
            ):
                link_key = subscriber.link_key
        if link_key is not None and not await self._send_confirmation(address, link_key):
            return ErrorView(
                "unavailable",
                "We could not send the confirmation email just now. Try again in a few minutes.",
            )
        return NoticeView(sign_up_answer(address))

    async def send_confirmations(self, addresses: list[str]) -> list[str]:
        """Email each (imported, pending) address its link; returns those not sent.

        The per-address limits hold here too: an import can't bomb anyone either.
        """
        limit = asyncio.Semaphore(max(1, self.sender.concurrency))

        async def one(address: str) -> bool:
            async with self.database.write() as session:
                await throttles.hold(session, "address", address)
                subscriber = await _by_email(session, address)
                if subscriber is None or subscriber.status != "pending":
                    return True
                if not await throttles.take(
                    session, "address", address, self.limits.per_address, utcnow()
                ):
                    log.warning("confirmation to %s held back: sent too often", address)
                    return False
                link_key = subscriber.link_key
            async with limit:
                return await self._send_confirmation(address, link_key)

        sent = await asyncio.gather(*(one(a) for a in addresses))
        return [address for address, ok in zip(addresses, sent, strict=True) if not ok]

    async def _send_confirmation(self, address: str, link_key: str) -> bool:
        url = f"{self.mailing.public_url}/confirm/{self.tokens.confirm_token(link_key)}"
        message = confirmation_message(
            recipient=address,
            confirm_url=url,
            mail_from=self.mailing.mail_from,
            public_url=self.mailing.public_url,
            reply_to=self.mailing.reply_to,
            signer=self.mailing.signer,
            envelope_from=self.mailing.envelope_from,
            html_body=render_confirmation_html(
                url, self.mailing.public_url, self.mailing.postal_address
            ),
        )
        outcome = await self.sender.send(message)
        metrics.EMAILS.labels("confirmation", outcome.status).inc()
        if outcome.status != "sent":
            log.warning("confirmation to %s not sent: %s", address, outcome.detail)
        return outcome.status == "sent"

    async def pending_for_confirm(self, token: str) -> Subscriber | BadToken:
        """The pending subscriber a confirmation link names (GET shows, never confirms)."""
        link_key = self.tokens.read_confirm(token)
        if isinstance(link_key, BadToken):
            return link_key
        async with self.database.read() as session:
            subscriber = await _by_link_key(session, link_key)
        if subscriber is None or subscriber.status not in ("pending", "confirmed"):
            return BadToken("invalid")
        return subscriber

    async def confirm(self, token: str) -> str | BadToken:
        """Confirm the subscriber ``token`` names, only while pending; returns the address.

        Only a POST gets here: link scanners GET and HEAD. Someone who has unsubscribed
        since is not brought back by the old link.
        """
        link_key = self.tokens.read_confirm(token)
        if isinstance(link_key, BadToken):
            return link_key
        async with self.database.write() as session:
            subscriber = await _by_link_key(session, link_key)
            if subscriber is None:
                # Forgotten since the email went out: their wish to be forgotten wins.
                return BadToken("invalid")
            if subscriber.status == "pending":
                subscriber.status = "confirmed"
                subscriber.confirmed_at = utcnow()
                subscriber.hard_failures = 0
            elif subscriber.status != "confirmed":
                return BadToken("invalid")
            await links.confirm_email(session, subscriber.email)
            return subscriber.email

    async def unsubscribe(self, token: str) -> str | BadToken:
        """Unsubscribe the subscriber named by ``token``; idempotent. Returns the address."""
        link_key = self.tokens.read_unsubscribe(token)
        if isinstance(link_key, BadToken):
            return link_key
        async with self.database.write() as session:
            subscriber = await _by_link_key(session, link_key)
            if subscriber is None:
                return "(forgotten address)"
            if subscriber.status != "unsubscribed":
                subscriber.status = "unsubscribed"
                subscriber.unsubscribed_at = utcnow()
            return subscriber.email

    async def subscriber_for_unsubscribe(self, token: str) -> Subscriber | BadToken | None:
        link_key = self.tokens.read_unsubscribe(token)
        if isinstance(link_key, BadToken):
            return link_key
        async with self.database.read() as session:
            return await _by_link_key(session, link_key)

    async def spend_form_nonce(self, nonce: str) -> bool:
        """True the first time a form's nonce is posted, False on every replay."""
        async with self.database.write() as session:
            return await throttles.spend_nonce(session, nonce, utcnow())


async def _by_email(session: AsyncSession, address: str) -> Subscriber | None:
    return await queries.subscriber_by_email(session, address)


async def _by_link_key(session: AsyncSession, link_key: str) -> Subscriber | None:
    return await queries.subscriber_by_link_key(session, link_key)


# -- operator commands -------------------------------------------------------------------------


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    already: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.added)


async def import_csv(database: Database, text: str, *, confirmed: bool) -> ImportReport:
    """Import CSV ``text`` (``email`` column, else the first); bad rows are reported by line.

    Good rows go in together in one transaction; existing subscribers are left as they are.
    """
    report = ImportReport()
    rows = list(csv.reader(io.StringIO(text)))
    column = 0
    start = 0
    if rows and any(cell.strip().lower() == "email" for cell in rows[0]):
        column = [cell.strip().lower() for cell in rows[0]].index("email")
        start = 1
    wanted: dict[str, int] = {}
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if column >= len(row):
            report.problems.append((number, "no email column"))
            continue
        try:
            address = normalise_email(row[column])
        except InvalidEmail as exc:
            report.problems.append((number, str(exc)))
            continue
        wanted.setdefault(address, number)
    now = utcnow()
    async with database.write() as session:
        addresses = list(wanted)
        existing = await queries.known_emails(session, addresses)
        for address in addresses:
            if address in existing:
                report.already += 1
                continue
            session.add(
                Subscriber(
                    email=address,
                    status="confirmed" if confirmed else "pending",
                    source="import",
                    confirmed_at=now if confirmed else None,
                    link_key=new_link_key(),
                )
            )
            report.added.append(address)
    return report


async def export_rows(database: Database) -> list[tuple[str, str, str, str]]:
    """(email, status, source, created) for every subscriber."""
    async with database.read() as session:
        rows = await queries.all_for_export(session)
    return [
        (r.email, r.status, r.source, r.created_at.isoformat() if r.created_at else "")
        for r in rows
    ]


async def forget(database: Database, email: str) -> bool:
    """Delete everything about one address; delivery counts stay, without the person."""
    try:
        address = normalise_email(email)
    except InvalidEmail:
        address = email.strip().lower()
    async with database.write() as session:
        subscriber = await _by_email(session, address)
        if subscriber is None:
            return False
        # Unsent copies will never go out; sent ones stay counted, without the person.
        await queries.erase_subscriber(session, subscriber.id)
        await links.forget_email(session, address)
    return True
