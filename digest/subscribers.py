"""Subscribers: sign-up with double opt-in, confirmation, unsubscribe, import, export, forget."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.views import ErrorView, NoticeView
from db.digest_models import Delivery, Subscriber
from db.engine import Database
from db.models import utcnow
from db.queries import links
from digest.message import confirmation_message
from digest.senders import Sender
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


class EmailSubscriptions:
    """The ``bot.core.ports.Subscriptions`` implementation, also used by the web form."""

    def __init__(self, database: Database, tokens: Tokens, sender: Sender, mailing: Mailing):
        self.database = database
        self.tokens = tokens
        self.sender = sender
        self.mailing = mailing

    async def request(self, email: str, *, source: str) -> NoticeView | ErrorView:
        """Store the address unconfirmed and send the confirmation link."""
        try:
            address = normalise_email(email)
        except InvalidEmail as exc:
            return ErrorView("usage", str(exc), usage="/subscribe you@example.com")
        async with self.database.write() as session:
            subscriber = await _by_email(session, address)
            if subscriber is not None and subscriber.status == "confirmed":
                return NoticeView(f"{address} already gets the weekly digest.")
            if subscriber is None:
                session.add(Subscriber(email=address, status="pending", source=source[:32]))
            else:
                # Someone who left (or bounced) comes back only by confirming again.
                subscriber.status = "pending"
        if not await self._send_confirmation(address):
            return ErrorView(
                "unavailable",
                "We could not send the confirmation email just now. Try again in a few minutes.",
            )
        return NoticeView(
            f"Almost done: we sent a confirmation link to {address}. "
            "The digest starts once you click it."
        )

    async def send_confirmations(self, addresses: list[str]) -> list[str]:
        """Email each (imported, pending) address its link; returns those that failed."""
        limit = asyncio.Semaphore(max(1, self.sender.concurrency))

        async def one(address: str) -> bool:
            async with limit:
                return await self._send_confirmation(address)

        sent = await asyncio.gather(*(one(a) for a in addresses))
        return [address for address, ok in zip(addresses, sent, strict=True) if not ok]

    async def _send_confirmation(self, address: str) -> bool:
        url = f"{self.mailing.public_url}/confirm/{self.tokens.confirm_token(address)}"
        message = confirmation_message(
            recipient=address,
            confirm_url=url,
            mail_from=self.mailing.mail_from,
            public_url=self.mailing.public_url,
        )
        outcome = await self.sender.send(message)
        if outcome.status != "sent":
            log.warning("confirmation to %s not sent: %s", address, outcome.detail)
        return outcome.status == "sent"

    async def confirm(self, token: str) -> str | BadToken:
        """Confirm the address in ``token``; returns it, or why the token is no good."""
        address = self.tokens.read_confirm(token)
        if isinstance(address, BadToken):
            return address
        async with self.database.write() as session:
            subscriber = await _by_email(session, address)
            if subscriber is None:
                # Forgotten since the email went out: their wish to be forgotten wins.
                return BadToken("invalid")
            if subscriber.status != "confirmed":
                subscriber.status = "confirmed"
                subscriber.confirmed_at = utcnow()
                subscriber.hard_failures = 0
            await links.confirm_email(session, address)
        return address

    async def unsubscribe(self, token: str) -> str | BadToken:
        """Unsubscribe the subscriber named by ``token``; idempotent. Returns the address."""
        subscriber_id = self.tokens.read_unsubscribe(token)
        if isinstance(subscriber_id, BadToken):
            return subscriber_id
        async with self.database.write() as session:
            subscriber = await session.get(Subscriber, subscriber_id)
            if subscriber is None:
                return "(forgotten address)"
            if subscriber.status != "unsubscribed":
                subscriber.status = "unsubscribed"
                subscriber.unsubscribed_at = utcnow()
            return subscriber.email

    async def subscriber_for_unsubscribe(self, token: str) -> Subscriber | BadToken | None:
        subscriber_id = self.tokens.read_unsubscribe(token)
        if isinstance(subscriber_id, BadToken):
            return subscriber_id
        async with self.database.read() as session:
            return await session.get(Subscriber, subscriber_id)


async def _by_email(session: AsyncSession, address: str) -> Subscriber | None:
    result = await session.scalars(select(Subscriber).where(Subscriber.email == address))
    return result.first()


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
        existing: set[str] = set()
        addresses = list(wanted)
        for i in range(0, len(addresses), 500):
            chunk = addresses[i : i + 500]
            found = await session.scalars(
                select(Subscriber.email).where(Subscriber.email.in_(chunk))
            )
            existing.update(found.all())
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
                )
            )
            report.added.append(address)
    return report


async def export_rows(database: Database) -> list[tuple[str, str, str, str]]:
    """(email, status, source, created) for every subscriber."""
    async with database.read() as session:
        rows = await session.execute(
            select(
                Subscriber.email, Subscriber.status, Subscriber.source, Subscriber.created_at
            ).order_by(Subscriber.id)
        )
        return [(r[0], r[1], r[2], r[3].isoformat() if r[3] else "") for r in rows]


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
        await session.execute(
            update(Delivery)
            .where(
                Delivery.subscriber_id == subscriber.id,
                Delivery.status.in_(("pending", "sending", "deferred")),
            )
            .values(status="skipped")
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.subscriber_id == subscriber.id)
            .values(subscriber_id=None, last_error=None)
        )
        await session.execute(delete(Subscriber).where(Subscriber.id == subscriber.id))
        await links.forget_email(session, address)
    return True
