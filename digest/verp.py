"""VERP envelope senders: ``bounces+<token>@domain`` names the subscriber and issue.

A bounce comes back to the envelope sender, so the address it arrives at tells
who bounced, whatever the report says (or garbles). The token is signed with
SECRET_KEY so nobody can suspend a subscriber by mailing a made-up address, and
kept short and lower-case: local parts are limited to 64 characters and some
relays fold their case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"s([0-9a-z]+)-i([0-9a-z]+)-([0-9a-f]{16})")
_MAC_CHARS = 16


@dataclass(frozen=True, slots=True)
class VerpTarget:
    subscriber_id: int
    issue_id: int | None


class Verp:
    """Makes and reads the bounce addresses of one deployment."""

    def __init__(self, secret_key: str, bounce_address: str) -> None:
        local, at, domain = bounce_address.rpartition("@")
        if not at or not local or not domain or "+" in local:
            raise ValueError("BOUNCE_ADDRESS must look like bounces@example.com (no '+')")
        self.local = local
        self.domain = domain
        self.bounce_address = bounce_address
        self._key = hashlib.sha256(b"shiporskip-verp\x00" + secret_key.encode()).digest()

    def _mac(self, body: str) -> str:
        # 64 bits of HMAC in hex: C-fast, lower-case, and plenty against guessing.
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]

    def token(self, subscriber_id: int, issue_id: int | None = None) -> str:
        body = f"s{_base36(subscriber_id)}-i{_base36(issue_id or 0)}"
        return f"{body}-{self._mac(body)}"

    def address(self, subscriber_id: int, issue_id: int | None = None) -> str:
        return f"{self.local}+{self.token(subscriber_id, issue_id)}@{self.domain}"

    def read(self, address: str) -> VerpTarget | None:
        """The subscriber behind a bounce address, or None if it is not one of ours."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        base, plus, token = local.partition("+")
        if not plus or base.lower() != self.local.lower():
            return None
        if domain.lower() != self.domain.lower():
            return None
        match = _TOKEN.fullmatch(token.lower())
        if match is None:
            return None
        body = token.lower().rsplit("-", 1)[0]
        if not hmac.compare_digest(self._mac(body), match.group(3)):
            return None
        issue = int(match.group(2), 36)
        return VerpTarget(int(match.group(1), 36), issue or None)


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError("ids are not negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
