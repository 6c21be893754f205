"""Where messages go: an SMTP pool (aiosmtplib) or, without SMTP_URL, an outbox folder.

Each sender answers every message with an Outcome instead of raising, so the
delivery loop only records what happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from db.private_files import private_dir, write_private
from digest.message import Outgoing, smtp_payload

log = logging.getLogger(__name__)
Status = Literal["sent", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """``sent`` after a 250; ``deferred`` after repeated 4xx; ``failed`` on a 5xx.

    ``server_down`` marks a deferral that is the server's fault, not the address's
    (no connection, TLS or login refused, our sender address refused): every other
    message would meet the same fate, so the run stops and resumes later.
    """

    status: Status
    detail: str = ""
    server_down: bool = False


class Sender(Protocol):
    """Anything that can take messages; ``concurrency`` is how many may be in flight."""

    concurrency: int

    async def send(self, message: Outgoing) -> Outcome: ...

    async def close(self) -> None: ...


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class OutboxSender:
    """Writes each message as an .eml file; what `make run` uses with no mail server."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.concurrency = 1

    async def send(self, message: Outgoing) -> Outcome:
        private_dir(self.directory)
        safe = "".join(c if c.isalnum() or c in "._-@" else "_" for c in message.recipient)
        path = (
            self.directory / f"{time.strftime('%Y%m%dT%H%M%S')}-{safe}-{uuid.uuid4().hex[:8]}.eml"
        )
        tmp = path.with_suffix(".tmp")
        # Write then rename, so a crash never leaves half a message looking complete.
        # 0600: the files hold addresses and live confirmation links.
        await asyncio.to_thread(write_private, tmp, message.data)
        await asyncio.to_thread(tmp.replace, path)
        return Outcome("sent", str(path))

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (TLS from the start)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://host")
        tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if tls else 25),
            use_tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


@dataclass
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay_s, self.base_delay_s * float(2**attempt))


class SmtpSender:
    """A small pool of persistent SMTP connections shared by the delivery workers."""

    def __init__(
        self,
        target: SmtpTarget,
        *,
        rate: float,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        timeout_s: float = 30.0,
        validate_certs: bool = True,
    ) -> None:
        self.target = target
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.bucket = TokenBucket(rate)
        self.timeout_s = timeout_s
        self.validate_certs = validate_certs
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self._all: list[aiosmtplib.SMTP] = []

    def _client(self) -> aiosmtplib.SMTP:
        t = self.target
        return aiosmtplib.SMTP(
            hostname=t.hostname,
            port=t.port,
            use_tls=t.use_tls,
            start_tls=False if t.use_tls else None,
            username=t.username,
            password=t.password,
            timeout=self.timeout_s,
            validate_certs=self.validate_certs,
        )

    async def _take(self) -> aiosmtplib.SMTP:
        if self._idle.empty() and len(self._all) < self.concurrency:
            client = self._client()
            self._all.append(client)
            return client
        return await self._idle.get()

    async def send(self, message: Outgoing) -> Outcome:
        client = await self._take()
        try:
            return await self._send_with_retries(client, message)
        finally:
            self._idle.put_nowait(client)

    async def _send_with_retries(self, client: aiosmtplib.SMTP, message: Outgoing) -> Outcome:
        payload = message.data if message.smtp_ready else smtp_payload(message.data)
        last = ""
        server_fault = False
        for attempt in range(self.retry.attempts):
            if attempt:
                await asyncio.sleep(self.retry.delay(attempt - 1))
            await self.bucket.acquire()
            try:
                if not client.is_connected:
                    await client.connect()  # also STARTTLS and login, from the URL
            except (aiosmtplib.SMTPException, OSError) as exc:
                last, server_fault = f"cannot use the SMTP server: {_describe(exc)}", True
                log.info("SMTP connect/login failed: %s", last)
                client.close()
                continue
            try:
                await self._transaction(client, message, payload)
                return Outcome("sent")
            except aiosmtplib.SMTPNotSupported as exc:
                # The address needs SMTPUTF8 and this server lacks it: retrying can't help.
                await _reset(client)
                return Outcome("failed", f"554 {exc}")
            except aiosmtplib.SMTPSenderRefused as exc:
                # MAIL FROM refused: about MAIL_FROM or this server, never the reader.
                last, server_fault = f"sender refused: {exc.code} {exc.message}", True
                await _reset(client)
                if exc.code >= 500:
                    break
            except aiosmtplib.SMTPResponseException as exc:
                last, server_fault = f"{exc.code} {exc.message}", False
                await _reset(client)
                if exc.code >= 500:
                    return Outcome("failed", last)
            except (aiosmtplib.SMTPException, OSError) as exc:
                # Lost connection mid-message: a fresh one next time round.
                last, server_fault = f"connection: {_describe(exc)}", True
                log.info("SMTP connection problem, reconnecting: %s", exc)
                client.close()
        return Outcome("deferred", last, server_down=server_fault)

    async def _transaction(
        self, client: aiosmtplib.SMTP, message: Outgoing, payload: bytes
    ) -> None:
        """MAIL, RCPT and DATA for one message already in DATA's wire form.

        aiosmtplib's ``sendmail`` would re-scan the message for line ends and leading
        periods three times; on a 17 KB digest that was most of the CPU spent per send.
        """
        options = []
        encoding = "ascii"
        if client.is_ehlo_or_helo_needed:
            await _greet(client)
        if not (message.sender.isascii() and message.recipient.isascii()):
            # Asking anyway would get MAIL FROM refused, which reads as the server's fault.
            if not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("the server does not offer SMTPUTF8")
            options.append("SMTPUTF8")
            encoding = "utf-8"
        if client.supports_extension("size"):
            options.append(f"SIZE={len(payload) + 3}")
        await client.mail(message.sender, options=options, encoding=encoding)
        await client.rcpt(message.recipient, encoding=encoding)
        start = await client.execute_command(b"DATA")
        if start.code != 354:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost before the message")
        # One write, one send() call: the copy costs less than a second system call.
        protocol.write(payload + b".\r\n")
        # No await between the write and read_response, which marks the reply as expected
        # before it yields, so the server's answer can't arrive unclaimed.
        try:
            done = await protocol.read_response(timeout=self.timeout_s)
        except aiosmtplib.SMTPTimeoutError:
            client.close()  # the reply may still come and would be paired with the next command
            raise
        if done.code != 250:
            raise aiosmtplib.SMTPDataError(done.code, done.message)

    async def close(self) -> None:
        for client in self._all:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        self._all.clear()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return str(exc) or type(exc).__name__


async def _greet(client: aiosmtplib.SMTP) -> None:
    """EHLO, falling back to HELO for servers that don't speak ESMTP."""
    try:
        await client.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not client.is_connected:
            raise
        await client.helo()


async def _reset(client: aiosmtplib.SMTP) -> None:
    """Clear a half-finished transaction so the connection can carry the next message."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def make_sender(
    smtp_url: str | None, outbox_dir: Path, *, rate: float, concurrency: int = 4
) -> Sender:
    """SMTP when configured, otherwise the outbox folder."""
    if smtp_url:
        return SmtpSender(SmtpTarget.from_url(smtp_url), rate=rate, concurrency=concurrency)
    return OutboxSender(outbox_dir)
