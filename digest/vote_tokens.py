"""Signed Ship/Skip links in the digest: one token per recipient, tool and verdict.

A token names the subscriber by its random ``link_key`` (never the address), the tool
by slug and the verdict by one letter, signed with itsdangerous under the salt
"email-vote". It is a bare TimestampSigner over a short string rather than a JSON
serializer: every reader gets two per tool, so signing cost and length are per message.
Keys rotate like digest.tokens.Tokens: sign with SECRET_KEY, accept SECRET_KEY_PREVIOUS.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes

from digest.tokens import BadToken

# Long enough for an issue read late; short enough that a forwarded copy stops voting.
VOTE_MAX_AGE_S = 120 * 24 * 3600
SALT = "email-vote"
Verdict = Literal["ship", "skip"]
_VERDICTS: dict[str, Verdict] = {"h": "ship", "k": "skip"}


@dataclass(frozen=True, slots=True)
class VoteClaim:
    """What a valid vote token says."""

    link_key: str
    slug: str
    verdict: Verdict


class VoteTokens:
    def __init__(self, secret_keys: Sequence[str], max_age_s: int = VOTE_MAX_AGE_S) -> None:
        keys = [key for key in secret_keys if key]
        if not keys:
            raise ValueError("at least one secret key is needed")
        # itsdangerous signs with the last key and verifies with any: oldest first.
        self._signer = TimestampSigner(list(reversed(keys)), salt=SALT)
        self.max_age_s = max_age_s
        # itsdangerous derives the HMAC key from salt and secret on every call; a digest
        # signs two tokens per tool per reader, so the keyed HMAC is prepared once and
        # copied (the output is byte for byte TimestampSigner's; ``read`` checks with it).
        self._hmac = hmac.new(self._signer.derive_key(), digestmod=self._signer.digest_method)
        self._second = -1
        self._stamp = b""

    def token(self, link_key: str, slug: str, verdict: Verdict) -> str:
        # "h"/"k" (sHip, sKip) first, then the key (URL-safe base64, no "."), then the slug.
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, b"." + base64_encode(int_to_bytes(second))
        value = f"{verdict[1]}.{link_key}.{slug}".encode() + self._stamp
        mac = self._hmac.copy()
        mac.update(value)
        return (value + b"." + base64_encode(mac.digest())).decode("ascii")

    def read(self, token: str, *, max_age_s: int | None = None) -> VoteClaim | BadToken:
        age = self.max_age_s if max_age_s is None else max_age_s
        try:
            value = self._signer.unsign(token, max_age=age).decode("utf-8")
        except SignatureExpired:
            return BadToken("expired")
        except (BadSignature, UnicodeDecodeError):
            return BadToken("invalid")
        letter, _, rest = value.partition(".")
        link_key, _, slug = rest.partition(".")
        verdict = _VERDICTS.get(letter)
        if verdict is None or not link_key or not slug:
            return BadToken("invalid")
        return VoteClaim(link_key, slug, verdict)
