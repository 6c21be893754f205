"""Email messages: the digest (built fast, per recipient) and the confirmation email.

The digest's HTML is compiled once per issue. Each recipient's message is that
HTML with two placeholders replaced, wrapped in pre-rendered MIME framing: text
part first, HTML second (multipart/alternative puts the preferred part last).
The HTML part is made pure ASCII (non-ASCII as character references) so it can
travel as 7bit without re-encoding 50 KB per recipient.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

# Prefixes of the placeholders the templates emit; chosen so no escaping or MJML step
# alters them. Each rendered issue adds a random part (Placeholders.fresh), so text in
# the issue (a tool name someone typed) can never equal one and be replaced by each
# reader's own address.
UNSUBSCRIBE_PLACEHOLDER = "SOS-PERSONAL-UNSUBSCRIBE-URL"
EMAIL_PLACEHOLDER = "SOS-PERSONAL-EMAIL"


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The per-recipient placeholders of one rendered issue."""

    unsubscribe: str
    email: str

    @classmethod
    def fresh(cls) -> Placeholders:
        nonce = secrets.token_hex(16)
        return cls(f"{UNSUBSCRIBE_PLACEHOLDER}-{nonce}", f"{EMAIL_PLACEHOLDER}-{nonce}")


# Well under SMTP's 998 so a substituted URL cannot push a line over it.
MAX_LINE = 600
ONE_CLICK = "List-Unsubscribe=One-Click"
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_PERIOD = re.compile(rb"(?m)^\.")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message ready for the wire.

    ``smtp_ready`` promises that ``data`` already is what SMTP's DATA carries: CRLF
    line ends only and no line starting with a period, so no dot-stuffing is needed.
    Checking that per message costs more than building the message, so the digest,
    which keeps it true by construction, says so once instead.
    """

    sender: str
    recipient: str
    data: bytes
    smtp_ready: bool = False


def smtp_payload(data: bytes) -> bytes:
    """A message in DATA's wire form: CRLF line ends, leading periods doubled, final CRLF."""
    data = _LINE_END.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LEADING_PERIOD.sub(b"..", data)


def is_smtp_ready(data: bytes) -> bool:
    """True when ``data`` needs neither line-end repair nor dot-stuffing for DATA."""
    return (
        data.endswith(b"\r\n")
        and not data.startswith(b".")
        and b"\n." not in data
        and data.count(b"\n") == data.count(b"\r") == data.count(b"\r\n")
    )


_BREAK_AND_INDENT = re.compile(r"\s*\n\s*")


def _compact(html_text: str) -> str:
    """Join MJML's many short lines: fewer line breaks make every send cheaper.

    A line break plus indentation is whitespace that HTML collapses to one space
    anyway; lines stay under the SMTP limit by breaking again at existing spaces.
    """
    if "<pre" in html_text or "<textarea" in html_text:
        return html_text.replace("\r\n", "\n").replace("\n", "\r\n")
    flat = _BREAK_AND_INDENT.sub(" ", html_text)
    lines = []
    while len(flat) > MAX_LINE:
        # Never start a line with ".": SMTP would need to dot-stuff it on every send.
        cut = _break_at(flat, " ")
        if cut > 0:
            lines.append(flat[:cut])
            flat = flat[cut + 1 :]
            continue
        # No space: after a tag is the only place a break can't show up as text.
        cut = _break_at(flat, ">") + 1 or MAX_LINE
        while flat[cut : cut + 1] == "." and cut > 1:
            cut -= 1
        lines.append(flat[:cut])
        flat = flat[cut:]
    lines.append(flat)
    return "\r\n".join(lines)


def _break_at(flat: str, mark: str) -> int:
    """The last ``mark`` before MAX_LINE that is not followed by a period, or -1."""
    end = MAX_LINE
    while (cut := flat.rfind(mark, 0, end)) > 0 and flat[cut + 1 : cut + 2] == ".":
        end = cut
    return cut


def personalise_html(
    compiled: str, recipient: str, unsubscribe_url: str, placeholders: Placeholders
) -> str:
    """Fill one reader's address and unsubscribe link into the compiled HTML, escaped."""
    escaped_url = html.escape(unsubscribe_url, quote=True)
    escaped_email = html.escape(recipient, quote=True)
    return compiled.replace(placeholders.unsubscribe, escaped_url).replace(
        placeholders.email, escaped_email
    )


def personalise_text(
    text: str, recipient: str, unsubscribe_url: str, placeholders: Placeholders
) -> str:
    """Fill one reader's address and unsubscribe link into the plain-text part."""
    return text.replace(placeholders.unsubscribe, unsubscribe_url).replace(
        placeholders.email, recipient
    )


class DigestMessages:
    """Builds each recipient's copy of one issue; everything shared is prepared once."""

    def __init__(
        self,
        *,
        html_body: str,
        text_body: str,
        subject: str,
        mail_from: str,
        placeholders: Placeholders,
        unsubscribe_mailto: str | None = None,
    ) -> None:
        self._placeholders = placeholders
        ascii_html = html_body.encode("ascii", "xmlcharrefreplace").decode("ascii")
        self._html = _compact(ascii_html)
        self._text = text_body
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1] or mail_from
        self._domain = self.envelope_from.rpartition("@")[2] or "shiporskip.local"
        if unsubscribe_mailto and any(c in unsubscribe_mailto for c in "\r\n<>,"):
            raise ValueError("unsafe unsubscribe mailto address")
        self._mailto = unsubscribe_mailto
        self._boundary = f"==sos-{uuid.uuid4().hex}=="
        # Let the email package fold and encode the shared headers (the subject may be UTF-8).
        shared = EmailMessage(policy=SMTP)
        shared["From"] = mail_from
        shared["Subject"] = subject
        shared["MIME-Version"] = "1.0"
        shared["List-Unsubscribe-Post"] = ONE_CLICK
        content_type = f'Content-Type: multipart/alternative; boundary="{self._boundary}"\r\n'
        self._shared_headers = shared.as_bytes().rstrip(b"\r\n") + b"\r\n" + content_type.encode()
        b = self._boundary.encode()
        self._text_head = (
            b"--" + b + b'\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        self._html_head = (
            b"\r\n--" + b + b'\r\nContent-Type: text/html; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: 7bit\r\n\r\n"
        )
        self._tail = b"\r\n--" + b + b"--\r\n"
        # Per-recipient values hold no line breaks and never start with "." (see build),
        # and the text part is base64, so checking the shared parts once covers every copy.
        self._smtp_ready = is_smtp_ready(
            b"".join(
                (
                    self._shared_headers,
                    self._text_head,
                    self._html_head,
                    self._html.encode("ascii"),
                    self._tail,
                )
            )
        )
        self._date_second = -1
        self._date = ""

    def build(self, recipient: str, unsubscribe_url: str) -> Outgoing:
        """The full message for one recipient; ``unsubscribe_url`` must be an https URL."""
        _check_personal(unsubscribe_url)
        body_html = personalise_html(self._html, recipient, unsubscribe_url, self._placeholders)
        body_text = personalise_text(self._text, recipient, unsubscribe_url, self._placeholders)
        unsubscribe = f"<{unsubscribe_url}>"
        if self._mailto:
            unsubscribe += f", <mailto:{self._mailto}?subject=unsubscribe>"
        headers = (
            f"To: {_address_header(recipient)}\r\n"
            f"Date: {self._now()}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@{self._domain}>\r\n"
            f"List-Unsubscribe: {unsubscribe}\r\n"
        ).encode()
        data = b"".join(
            (
                self._shared_headers,
                headers,
                b"\r\n",
                self._text_head,
                base64.encodebytes(body_text.encode("utf-8")).replace(b"\n", b"\r\n"),
                self._html_head,
                body_html.encode("ascii", "xmlcharrefreplace"),
                self._tail,
            )
        )
        return Outgoing(self.envelope_from, recipient, data, smtp_ready=self._smtp_ready)

    def _now(self) -> str:
        second = int(time.time())
        if second != self._date_second:
            self._date_second, self._date = second, formatdate(second, usegmt=True)
        return self._date


def _check_personal(value: str) -> None:
    # A line break would forge headers; a leading "." could start a line needing dot-stuffing.
    if "\n" in value or "\r" in value or value.startswith("."):
        raise ValueError("unsafe value for a personal part of the message")


def _address_header(address: str) -> str:
    # Addresses are validated and normalised before storage; non-ASCII ones need SMTPUTF8.
    _check_personal(address)
    if any(c in address for c in '<>,"'):
        raise ValueError("unsafe address")
    return address


def confirmation_message(
    *,
    recipient: str,
    confirm_url: str,
    mail_from: str,
    public_url: str,
    html_body: str | None = None,
) -> Outgoing:
    """The double opt-in email: one link, nothing else to click.

    ``html_body`` is the designed HTML part (digest.render.render_confirmation_html);
    without it a bare one is used.
    """
    message = EmailMessage(policy=SMTP)
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = "Confirm your Ship or Skip weekly digest"
    message["Date"] = formatdate(usegmt=True)
    domain = (parseaddr(mail_from)[1] or "shiporskip.local").rpartition("@")[2]
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
    text = (
        "Someone (hopefully you) asked to get the Ship or Skip weekly verdict digest at this "
        f"address.\n\nConfirm here:\n{confirm_url}\n\nIf it wasn't you, ignore this email: "
        f"without confirmation you will get nothing more from us.\n\n{public_url}\n"
    )
    message.set_content(text)
    link = html.escape(confirm_url, quote=True)
    message.add_alternative(
        html_body
        or '<!doctype html><html><body style="font-family:Arial,sans-serif">'
        "<p>Someone (hopefully you) asked to get the <b>Ship or Skip</b> weekly verdict "
        f'digest at this address.</p><p><a href="{link}">Confirm my subscription</a></p>'
        "<p>If it wasn't you, ignore this email.</p></body></html>",
        subtype="html",
    )
    envelope = parseaddr(mail_from)[1] or mail_from
    return Outgoing(envelope, recipient, message.as_bytes())
