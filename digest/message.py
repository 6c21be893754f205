"""Email messages: the digest (built fast, per recipient) and the confirmation email.

The digest's HTML is compiled once per issue. Each recipient's message is that
HTML with two placeholders replaced, wrapped in pre-rendered MIME framing: text
part first, HTML second (multipart/alternative puts the preferred part last).
The HTML part is made pure ASCII (non-ASCII as character references) so it can
travel as 7bit without re-encoding 50 KB per recipient.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from digest.signing import is_relaxed_body_canonical, split_headers

if TYPE_CHECKING:
    from digest.signing import DkimSigner

# Prefixes of the placeholders the templates emit; chosen so no escaping or MJML step
# alters them. Each rendered issue adds a random part (Placeholders.fresh), so text in
# the issue (a tool name someone typed) can never equal one and be replaced by each
# reader's own address.
UNSUBSCRIBE_PLACEHOLDER = "SOS-PERSONAL-UNSUBSCRIBE-URL"
EMAIL_PLACEHOLDER = "SOS-PERSONAL-EMAIL"
VOTE_PLACEHOLDER = "SOS-PERSONAL-VOTE"
BLOCK_PLACEHOLDER = "SOS-PERSONAL-BLOCK"


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The per-recipient placeholders of one rendered issue."""

    unsubscribe: str
    email: str
    nonce: str = "0"

    @classmethod
    def fresh(cls) -> Placeholders:
        nonce = secrets.token_hex(16)
        return cls(f"{UNSUBSCRIBE_PLACEHOLDER}-{nonce}", f"{EMAIL_PLACEHOLDER}-{nonce}", nonce)

    def vote(self, index: int, verdict: str) -> str:
        """The Ship ("h") or Skip ("k") link of the issue's ``index``-th votable tool."""
        return f"{VOTE_PLACEHOLDER}-{self.nonce}-{index}{verdict[1]}"

    @property
    def block(self) -> str:
        """Where the reader's "Your tools this week" block goes (or nothing)."""
        return f"{BLOCK_PLACEHOLDER}-{self.nonce}"

    def pattern(self) -> re.Pattern[str]:
        """Every placeholder of the issue, one capture group each kind, for one split."""
        vote = re.escape(f"{VOTE_PLACEHOLDER}-{self.nonce}-")
        return re.compile(
            f"({re.escape(self.unsubscribe)})|({re.escape(self.email)})"
            f"|({re.escape(self.block)})|{vote}([0-9]+[hk])"
        )


@dataclass(frozen=True, slots=True)
class PersonalBlock:
    """One bookmark set's "Your tools this week", pre-rendered (see digest.personal).

    Made by ``personal_block``: the HTML is ASCII, compacted to short CRLF lines none of
    which starts with ".", and set on lines of its own, so it keeps the message's wire
    form; ``canonical`` says whether it also keeps DKIM's fast path valid.
    """

    html: str
    text: str
    canonical: bool


def personal_block(html_fragment: str, text_fragment: str) -> PersonalBlock:
    ascii_html = html_fragment.encode("ascii", "xmlcharrefreplace").decode("ascii")
    body = "\r\n" + _compact(re.sub(r"[ \t]+", " ", ascii_html).strip()) + "\r\n"
    canonical = is_relaxed_body_canonical(body.encode("ascii"))
    return PersonalBlock(body, text_fragment, canonical)


class _Split:
    """A body cut at its placeholders once; each copy is then one join.

    ``parts`` alternates fixed text and slot names: "u" (unsubscribe), "e" (email),
    "b" (the block) or a vote key like "3h".
    """

    def __init__(self, body: str, pattern: re.Pattern[str]) -> None:
        self.parts: list[str] = []
        self.slots: list[int] = []
        last = 0
        for match in pattern.finditer(body):
            self.parts.append(body[last : match.start()])
            kind = match.lastindex or 0
            self.slots.append(len(self.parts))
            self.parts.append(("u", "e", "b")[kind - 1] if kind < 4 else str(match.group(4)))
            last = match.end()
        self.parts.append(body[last:])
        self.names = [self.parts[i] for i in self.slots]

    def fill(self, values: dict[str, str]) -> str:
        parts = self.parts.copy()
        for index, name in zip(self.slots, self.names, strict=True):
            parts[index] = values.get(name, "")
        return "".join(parts)


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
    compiled: str,
    recipient: str,
    unsubscribe_url: str,
    placeholders: Placeholders,
    votes: dict[str, str] | None = None,
) -> str:
    """Fill one reader's address, unsubscribe and vote links into the compiled HTML, escaped.

    For one-off copies (a preview); DigestMessages does the same from a precomputed split.
    """
    values = {k: html.escape(v, quote=True) for k, v in (votes or {}).items()}
    values["u"] = html.escape(unsubscribe_url, quote=True)
    values["e"] = html.escape(recipient, quote=True)
    return _Split(compiled, placeholders.pattern()).fill(values)


def personalise_text(
    text: str,
    recipient: str,
    unsubscribe_url: str,
    placeholders: Placeholders,
    votes: dict[str, str] | None = None,
) -> str:
    """Fill one reader's address, unsubscribe and vote links into the plain-text part."""
    values = {**(votes or {}), "u": unsubscribe_url, "e": recipient}
    text = text.replace(placeholders.block + "\n", placeholders.block)
    return _Split(text, placeholders.pattern()).fill(values)


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
        reply_to: str | None = None,
        signer: DkimSigner | None = None,
        bounce_address: Callable[[int], str] | None = None,
        campaign: str = "digest",
        vote_urls: Callable[[str | None], dict[str, str]] | None = None,
    ) -> None:
        """``bounce_address`` maps a subscriber id to its envelope sender (VERP);
        ``vote_urls`` a reader's link key to their Ship/Skip links (digest.personal)."""
        self._placeholders = placeholders
        ascii_html = html_body.encode("ascii", "xmlcharrefreplace").decode("ascii")
        self._html = _compact(ascii_html)
        self._text = text_body
        pattern = placeholders.pattern()
        self._html_split = _Split(self._html, pattern)
        # The block's own line ending goes with it, so a reader without one gets no gap.
        self._text_split = _Split(
            text_body.replace(placeholders.block + "\n", placeholders.block), pattern
        )
        self._vote_urls = vote_urls
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
        _bulk_headers(shared, mail_from, reply_to, campaign)
        self._signer = signer
        self._bounce_address = bounce_address
        self._shared_fields = split_headers(shared.as_bytes().rstrip(b"\r\n"))
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
        # The fast signing path hashes the body as sent: only valid if that body already is
        # its relaxed canonical form (always true of compacted MJML; checked, not assumed).
        self._body_canonical = is_relaxed_body_canonical(
            self._text_head + self._html_head + self._html.encode("ascii") + self._tail
        )
        self._date_second = -1
        self._date = ""

    def build(
        self,
        recipient: str,
        unsubscribe_url: str,
        subscriber_id: int | None = None,
        *,
        link_key: str | None = None,
        block: PersonalBlock | None = None,
    ) -> Outgoing:
        """The full message for one recipient; ``unsubscribe_url`` must be an https URL.

        With a bounce address configured, ``subscriber_id`` picks the VERP envelope sender.
        ``link_key`` signs the reader's Ship/Skip links; ``block`` is their bookmarks block.
        """
        copy = self._compose(recipient, unsubscribe_url, subscriber_id, link_key, block)
        if self._signer is None:
            return copy.outgoing(b"")
        inputs = self._signing_inputs(copy)
        if inputs is None:
            return copy.outgoing(self._signer.sign(copy.data)[: -len(copy.data)])
        return copy.outgoing(self._signer.sign_parts(*inputs))

    async def build_async(
        self,
        recipient: str,
        unsubscribe_url: str,
        subscriber_id: int | None = None,
        *,
        link_key: str | None = None,
        block: PersonalBlock | None = None,
    ) -> Outgoing:
        """As ``build``, with the RSA part of the DKIM signature off the event loop."""
        if self._signer is None:
            return self.build(
                recipient, unsubscribe_url, subscriber_id, link_key=link_key, block=block
            )
        copy = self._compose(recipient, unsubscribe_url, subscriber_id, link_key, block)
        inputs = self._signing_inputs(copy)
        if inputs is None:
            return copy.outgoing(self._signer.sign(copy.data)[: -len(copy.data)])
        return copy.outgoing(await self._signer.sign_parts_async(*inputs))

    def _compose(
        self,
        recipient: str,
        unsubscribe_url: str,
        subscriber_id: int | None,
        link_key: str | None,
        block: PersonalBlock | None,
    ) -> _Copy:
        _check_personal(unsubscribe_url)
        votes = self._vote_urls(link_key) if self._vote_urls is not None else {}
        text_values = {"u": unsubscribe_url, "e": recipient, **votes}
        # Vote URLs are quoted path segments over PUBLIC_URL: nothing in them needs escaping
        # but the "&" of campaign tags on the fallback links.
        html_values = {k: v.replace("&", "&amp;") for k, v in votes.items()}
        html_values["u"] = html.escape(unsubscribe_url, quote=True)
        html_values["e"] = html.escape(recipient, quote=True)
        if block is not None:
            html_values["b"], text_values["b"] = block.html, block.text
        body_html = self._html_split.fill(html_values)
        body_text = self._text_split.fill(text_values)
        unsubscribe = f"<{unsubscribe_url}>"
        if self._mailto:
            unsubscribe += f", <mailto:{self._mailto}?subject=unsubscribe>"
        personal = (
            (b"To", _address_header(recipient).encode()),
            (b"Date", self._now().encode()),
            (b"Message-ID", f"<{uuid.uuid4().hex}@{self._domain}>".encode()),
            (b"List-Unsubscribe", unsubscribe.encode()),
        )
        headers = b"".join(name + b": " + value + b"\r\n" for name, value in personal)
        body = (
            self._text_head,
            base64.encodebytes(body_text.encode("utf-8")).replace(b"\n", b"\r\n"),
            self._html_head,
            body_html.encode("ascii", "xmlcharrefreplace"),
            self._tail,
        )
        data = b"".join((self._shared_headers, headers, b"\r\n", *body))
        sender = self.envelope_from
        if self._bounce_address is not None and subscriber_id is not None:
            sender = self._bounce_address(subscriber_id)
        # Whitespace in a personal value would make the body differ from its canonical form.
        plain = not any(c in v for v in (recipient, unsubscribe_url) for c in " \t") and (
            block is None or block.canonical
        )
        return _Copy(sender, recipient, data, personal, body, plain, self._smtp_ready)

    def _signing_inputs(self, copy: _Copy) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """Headers and body hash for the fast path, or None when the body needs canonicalising."""
        if not (self._body_canonical and copy.plain):
            return None
        digest = hashlib.sha256()
        for piece in copy.body:
            digest.update(piece)
        return [*self._shared_fields, *copy.personal], digest.digest()

    def _now(self) -> str:
        second = int(time.time())
        if second != self._date_second:
            self._date_second, self._date = second, mail_date(second)
        return self._date


@dataclass(frozen=True, slots=True)
class _Copy:
    """One recipient's message before its DKIM signature is put in front."""

    sender: str
    recipient: str
    data: bytes
    personal: tuple[tuple[bytes, bytes], ...]
    body: tuple[bytes, ...]
    plain: bool
    smtp_ready: bool

    def outgoing(self, signature: bytes) -> Outgoing:
        return Outgoing(self.sender, self.recipient, signature + self.data, self.smtp_ready)


def mail_date(second: float | None = None) -> str:
    """RFC 5322 date with a numeric zone (+0000), not the obsolete "GMT"."""
    moment = datetime.fromtimestamp(time.time() if second is None else second, UTC)
    return format_datetime(moment)


def list_domain(mail_from: str) -> str:
    return (parseaddr(mail_from)[1] or "shiporskip.local").rpartition("@")[2] or "shiporskip.local"


def _bulk_headers(
    message: EmailMessage, mail_from: str, reply_to: str | None, campaign: str
) -> None:
    """List-Id (RFC 2919), Reply-To, Feedback-ID and the headers that stop auto-replies."""
    message["List-Id"] = f"Ship or Skip weekly <weekly.{list_domain(mail_from)}>"
    message["Reply-To"] = reply_to or mail_from
    # Gmail's Feedback-ID: campaign:customer:mail type:sender id.
    safe = re.sub(r"[^A-Za-z0-9-]", "-", campaign)
    message["Feedback-ID"] = f"{safe}:weekly:digest:shiporskip"
    message["Auto-Submitted"] = "auto-generated"
    message["Precedence"] = "bulk"


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
    reply_to: str | None = None,
    signer: DkimSigner | None = None,
    envelope_from: str | None = None,
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
    message["Date"] = mail_date()
    message["Reply-To"] = reply_to or mail_from
    message["Auto-Submitted"] = "auto-generated"
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
    envelope = envelope_from or parseaddr(mail_from)[1] or mail_from
    data = message.as_bytes()
    if signer is not None:
        data = signer.sign(data)
    return Outgoing(envelope, recipient, data)
