"""Encrypting Slack tokens at rest with a Fernet key derived from SECRET_KEY.

After a rotation, tokens stored under SECRET_KEY_PREVIOUS still decrypt (MultiFernet
tries each key), and the next save stores them under the new key.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

# cryptography is imported when a cipher is made: only OAuth installs (many workspaces)
# store tokens, and the library is about 8 MB of `run`'s memory.
if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# A fixed label so the same SECRET_KEY yields different keys for different purposes.
_INFO = b"shiporskip slack token encryption v1"
_PREFIX = "enc1:"


class TokenCipher:
    """Encrypts tokens before they reach the database and decrypts them on the way out."""

    def __init__(self, secret_key: str, previous_secret_key: str | None = None) -> None:
        from cryptography.fernet import InvalidToken, MultiFernet

        self._invalid_token = InvalidToken
        keys = [secret_key] + ([previous_secret_key] if previous_secret_key else [])
        # MultiFernet encrypts with the first key and decrypts with any.
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    def encrypt(self, token: str | None) -> str | None:
        """Encrypted ``token``; already encrypted values pass unchanged.

        slack_sdk's store saves the bot row from the (already encrypted) installation,
        so encrypting must be idempotent.
        """
        if not token or token.startswith(_PREFIX):
            return token
        return _PREFIX + self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        """The token; None if it was stored under another SECRET_KEY (reinstall needed)."""
        if not stored or not stored.startswith(_PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(_PREFIX) :].encode()).decode()
        except self._invalid_token:
            return None


def _fernet(secret_key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))
