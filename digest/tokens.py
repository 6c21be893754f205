"""Signed tokens in links: confirmation (expiring) and unsubscribe (per subscriber).

Keyed by SECRET_KEY with a distinct salt per purpose, so a token made for one
link never works in another.
"""

from __future__ import annotations

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

    def __init__(self, secret_key: str, confirm_max_age_s: int = CONFIRM_MAX_AGE_S) -> None:
        self._confirm = URLSafeTimedSerializer(secret_key, salt="digest-confirm")
        self._unsubscribe = URLSafeSerializer(secret_key, salt="digest-unsubscribe")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="digest-csrf")
        self.confirm_max_age_s = confirm_max_age_s

    def confirm_token(self, email: str) -> str:
        return self._confirm.dumps(email)

    def read_confirm(self, token: str, *, max_age_s: int | None = None) -> str | BadToken:
        age = self.confirm_max_age_s if max_age_s is None else max_age_s
        try:
            value = self._confirm.loads(token, max_age=age)
        except SignatureExpired:
            return BadToken("expired")
        except BadSignature:
            return BadToken("invalid")
        return value if isinstance(value, str) else BadToken("invalid")

    def unsubscribe_token(self, subscriber_id: int) -> str:
        """Never expires: an old digest's link must still work."""
        return self._unsubscribe.dumps(subscriber_id)

    def read_unsubscribe(self, token: str) -> int | BadToken:
        try:
            value = self._unsubscribe.loads(token)
        except BadSignature:
            return BadToken("invalid")
        return (
            value if isinstance(value, int) and not isinstance(value, bool) else BadToken("invalid")
        )

    def csrf_token(self, nonce: str) -> str:
        return self._csrf.dumps(nonce)

    def read_csrf(self, token: str, *, max_age_s: int = 3600) -> str | None:
        try:
            value = self._csrf.loads(token, max_age=max_age_s)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None
