"""Signed tokens in links: confirmation (expiring) and unsubscribe (per subscriber).

Keyed by SECRET_KEY with a distinct salt per purpose, so a token made for one
link never works in another. Links name a subscriber by its random ``link_key``,
never by the address or the row id, so a token says nothing and outlives nobody.
Readers accept every key given (current first, then SECRET_KEY_PREVIOUS), so links
in emails already sent keep working after a key rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_MAX_AGE_S = 7 * 24 * 3600
TokenProblem = Literal["expired", "invalid"]


@dataclass(frozen=True, slots=True)
class BadToken:
    problem: TokenProblem

    @property
    def message(self) -> str:
        if self.problem == "expired":
            return "This confirmation link has expired. Sign up again to get a fresh one."
        return "This link is not valid. It may have been cut short or altered."


class Tokens:
    """Makes and checks the tokens of one deployment."""

    def __init__(
        self, secret_keys: Sequence[str], confirm_max_age_s: int = CONFIRM_MAX_AGE_S
    ) -> None:
        keys = [key for key in secret_keys if key]
        if not keys:
            raise ValueError("at least one secret key is needed")
        # itsdangerous signs with the last key and verifies with any: oldest first.
        ordered = list(reversed(keys))
        self._confirm = URLSafeTimedSerializer(ordered, salt="digest-confirm")
        self._unsubscribe = URLSafeSerializer(ordered, salt="digest-unsubscribe")
        self._csrf = URLSafeTimedSerializer(ordered, salt="digest-csrf")
        self.confirm_max_age_s = confirm_max_age_s

    def confirm_token(self, link_key: str) -> str:
        return self._confirm.dumps(link_key)

    def read_confirm(self, token: str, *, max_age_s: int | None = None) -> str | BadToken:
        """The link key in a fresh confirmation token."""
        age = self.confirm_max_age_s if max_age_s is None else max_age_s
        try:
            value = self._confirm.loads(token, max_age=age)
        except SignatureExpired:
            return BadToken("expired")
        except BadSignature:
            return BadToken("invalid")
        return value if isinstance(value, str) else BadToken("invalid")

    def unsubscribe_token(self, link_key: str) -> str:
        """Never expires: an old digest's link must still work."""
        return self._unsubscribe.dumps(link_key)

    def read_unsubscribe(self, token: str) -> str | BadToken:
        """The link key in an unsubscribe token."""
        try:
            value = self._unsubscribe.loads(token)
        except BadSignature:
            return BadToken("invalid")
        return value if isinstance(value, str) else BadToken("invalid")

    def csrf_token(self, nonce: str) -> str:
        return self._csrf.dumps(nonce)

    def read_csrf(self, token: str, *, max_age_s: int = 3600) -> str | None:
        try:
            value = self._csrf.loads(token, max_age=max_age_s)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None
