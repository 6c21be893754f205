"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what arrives.

Scripted answers let a test ask for a 4xx, a 5xx or a dropped connection for
chosen recipients (at DATA, or at RCPT when the answer starts with "rcpt:");
everything else is accepted with 250.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool = False
    login: str | None = None

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Script:
    """Answers to give instead of 250: per recipient, a queue of codes or 'drop'."""

    answers: dict[str, list[str | None]] = field(default_factory=dict)

    def next_for(self, recipient: str) -> str | None:
        queue = self.answers.get(recipient)
        if not queue:
            return None
        return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.sink.transactions.append(time.monotonic())
        if self.sink.refuse_sender:
            return self.sink.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        queue = self.sink.script.answers.get(address)
        if queue and queue[0] and queue[0].startswith("rcpt:"):
            answer = str(self.sink.script.next_for(address))[len("rcpt:") :]
            self.sink.refused.append((address, answer))
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: SMTP, session: Any, envelope: Any) -> str:
        self.sink.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        answer = self.sink.script.next_for(recipient)
        if answer == "drop":
            self.sink.dropped += 1
            server.transport.close()
            return "421 closing"
        if answer is not None:
            self.sink.refused.append((recipient, answer))
            return answer
        login = session.auth_data.login.decode() if session.authenticated else None
        self.sink.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.content,
                tls=session.ssl is not None,
                login=login,
            )
        )
        self.sink.arrived.set()
        return "250 OK"


class _Metered(SMTP):
    """aiosmtpd's server, counting the connections open at once for the sink."""

    def __init__(self, sink: SmtpSink, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sink = sink

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # not the second call that STARTTLS makes
            self.sink.open_now += 1
            self.sink.most_open = max(self.sink.most_open, self.sink.open_now)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink.open_now -= 1
        super().connection_lost(exc)


class SmtpSink:
    """Start with ``await sink.start()``; ``sink.url`` is the SMTP_URL to use."""

    def __init__(
        self,
        *,
        smtputf8: bool = True,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        """With ``credentials`` the server offers AUTH (only after STARTTLS when it has TLS)."""
        self.smtputf8 = smtputf8
        self.tls_context = tls_context
        self.credentials = credentials
        self.failed_logins = 0
        self.refuse_sender: str | None = None  # an answer to every MAIL FROM, e.g. "550 no"
        self.messages: list[Received] = []
        self.refused: list[tuple[str, str]] = []
        self.dropped = 0
        self.connections = 0
        self.open_now = 0  # connections open at this moment
        self.most_open = 0  # the most ever open at once
        self.quits = 0  # connections the client ended with QUIT
        self.transactions: list[float] = []  # monotonic time of each MAIL FROM
        self.script = Script()
        self.arrived = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self, port: int = 0) -> SmtpSink:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            self.connections += 1
            return _Metered(
                self,
                _Handler(self),
                hostname="sink.local",
                data_size_limit=10_000_000,
                enable_SMTPUTF8=self.smtputf8,
                tls_context=self.tls_context,
                require_starttls=self.tls_context is not None,
                authenticator=self._authenticate if self.credentials else None,
                auth_required=self.credentials is not None,
                auth_require_tls=self.tls_context is not None,
            )

        self._server = await loop.create_server(protocol, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _authenticate(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.credentials == (
            data.login.decode(),
            data.password.decode(),
        )
        self.failed_logins += not ok
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def recipients(self) -> Counter[str]:
        return Counter(r for m in self.messages for r in m.recipients)

    async def wait_for(self, count: int, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
