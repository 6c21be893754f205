"""Where messages go: an SMTP pool (aiosmtplib) or, without SMTP_URL, an outbox folder.

Each sender answers every message with an Outcome instead of raising, so the
delivery loop only records what happened.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from db.private_files import private_dir, write_private
from digest._aiosmtplib_internals import write_data_body
from digest.message import Outgoing, smtp_payload

log = logging.getLogger(__name__)
Status = Literal["sent", "deferred", "failed"]
# QUIT at shutdown must fit in the 10 s a stop may take.
CLOSE_TIMEOUT_S = 2.0


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


class Pacer:
    """Hands out transaction slots so no one-second window holds more than ``rate``.

    The limit that matters is the one the server counts: transactions in any one-second
    window, all our connections together. A token bucket with a burst lets ``rate + burst``
    through in some windows. Here two rules hold together:

    - slots follow an even grid ``(1 + guard) / rate`` apart, so they never bunch; a late
      wake-up may catch up with the grid (no throughput lost to sleeping late), but
    - a slot is never given until the ``rate``-th slot before it is ``1 + guard`` seconds
      old, so no window counted by our clock ever holds more than ``rate``.

    ``guard`` (2 %) leaves room for the network delaying one transaction more than another.
    """

    def __init__(self, rate: float, guard: float = 0.02) -> None:
        self.rate = rate
        self.window = 1.0 + guard
        self.interval = self.window / rate
        self._grid = 0.0
        self._recent: deque[float] = deque(maxlen=max(1, math.floor(rate)))
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        # The lock queues callers in order, so a web confirmation waits behind at most
        # the pool's other senders, never behind the whole digest.
        async with self._lock:
            earliest = self._grid
            if len(self._recent) == self._recent.maxlen:
                earliest = max(earliest, self._recent[0] + self.window)
            wait = earliest - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            now = time.monotonic()
            # Late by less than a slot: stay on the grid. Idle longer: start afresh from now.
            late = now - self._grid
            self._grid = (self._grid if late < self.interval else now) + self.interval
            self._recent.append(now)


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
        self.pacer = Pacer(rate)
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
        # Paced here, after connect and greeting, so a slow handshake can't push this
        # transaction closer to the next one than the rate allows.
        await self.pacer.acquire()
        await client.mail(message.sender, options=options, encoding=encoding)
        await client.rcpt(message.recipient, encoding=encoding)
        start = await client.execute_command(b"DATA")
        if start.code != 354:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        try:
            done = await write_data_body(client, payload + b".\r\n", self.timeout_s)
        except aiosmtplib.SMTPTimeoutError:
            client.close()  # the reply may still come and would be paired with the next command
            raise
        if done.code != 250:
            raise aiosmtplib.SMTPDataError(done.code, done.message)

    async def close(self) -> None:
        """QUIT every pooled connection; one still busy (a send that outlived the
        shutdown) is cut instead, since a QUIT would land in the middle of its transaction."""
        idle: set[int] = set()
        while not self._idle.empty():
            idle.add(id(self._idle.get_nowait()))
        for client in self._all:
            if not client.is_connected:
                continue
            if id(client) not in idle:
                client.close()
                continue
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
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
