"""DKIM signatures (RFC 6376, rsa-sha256, relaxed/relaxed) for outgoing mail.

dkimpy supplies the body canonicalisation and the tag format; the RSA signature
itself goes through ``cryptography`` (OpenSSL), several times faster than
dkimpy's pure-Python RSA. The digest builds each copy from pre-checked pieces, so
its fast path skips body canonicalisation altogether (see ``sign_parts``): the
body it sends already is its own relaxed canonical form.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

# cryptography and dkimpy are imported where a key is read or mail signed: every
# `shiporskip` command loads this module (the CLI's `mail` commands), and the two are
# about 10 MB of `run`'s memory, which most processes never sign with.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# Order matters only for readability: each header is signed once, where it appears.
SIGNED_HEADERS: tuple[str, ...] = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Reply-To",
    "Feedback-ID",
)
MIN_KEY_BITS = 1024
# RSA is the one costly step; two threads keep both cores of a small host busy.
SIGNING_THREADS = 2
_POOL: ThreadPoolExecutor | None = None
_FOLD = re.compile(rb"\r\n(?=[ \t])")
_WSP = re.compile(rb"[ \t]+")
_BODY_WSP = re.compile(rb"[ \t]{2,}|\t|[ \t]\r\n")


class SigningError(ValueError):
    """The DKIM key or settings cannot sign mail; the message says why."""


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA key in ``path`` (PEM, PKCS#1 or PKCS#8); SigningError when unusable."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot read the DKIM key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningError(f"the DKIM key {path} is not an RSA key")
    if key.key_size < MIN_KEY_BITS:
        raise SigningError(f"the DKIM key {path} has {key.key_size} bits; use 2048")
    return key


def generate_key_pem(bits: int = 2048) -> bytes:
    """A new RSA private key as PKCS#1 PEM, which every DKIM tool reads."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_record(key: rsa.RSAPrivateKey) -> str:
    """The TXT value to publish at <selector>._domainkey.<domain>."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"


def relaxed_header(name: bytes, value: bytes) -> bytes:
    """RFC 6376 3.4.2: lower-case name, unfolded value with runs of WSP as one space."""
    unfolded = _WSP.sub(b" ", _FOLD.sub(b"", value)).strip(b" \t\r\n")
    return name.strip().lower() + b":" + unfolded


def is_relaxed_body_canonical(piece: bytes) -> bool:
    """True when relaxed body canonicalisation leaves ``piece`` (CRLF lines) unchanged.

    Checked once per issue on the shared parts of the digest; trailing empty lines
    are the caller's concern (the MIME tail never ends with one).
    """
    return _BODY_WSP.search(piece) is None and not piece.endswith((b" ", b"\t"))


class DkimSigner:
    """Signs for one domain and selector with one key."""

    def __init__(
        self,
        *,
        domain: str,
        selector: str,
        key: rsa.RSAPrivateKey,
        headers: Sequence[str] = SIGNED_HEADERS,
    ) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        for label, value in (("domain", domain), ("selector", selector)):
            if not value or not re.fullmatch(r"[A-Za-z0-9._-]+", value):
                raise SigningError(f"invalid DKIM {label} {value!r}")
        self.domain = domain
        self.selector = selector
        self._key = key
        self._wanted = {h.lower() for h in headers}
        self._padding = padding.PKCS1v15()
        self._hash = hashes.SHA256()

    @classmethod
    def from_files(cls, *, domain: str, selector: str, key_file: Path) -> DkimSigner:
        return cls(domain=domain, selector=selector, key=load_private_key(key_file))

    def public_record(self) -> str:
        return public_key_record(self._key)

    def sign_parts(
        self, headers: Iterable[tuple[bytes, bytes]], body_hash: bytes, *, now: int | None = None
    ) -> bytes:
        """The ``DKIM-Signature:`` header line (with CRLF) for headers already split.

        ``headers`` are (name, raw value without the final CRLF), in message order;
        only those in the signed list and present are signed. ``body_hash`` is the
        SHA-256 of the relaxed-canonical body.
        """
        unsigned, to_sign = self._prepare(headers, body_hash, now)
        return self._finish(unsigned, self._rsa(to_sign))

    async def sign_parts_async(
        self, headers: Iterable[tuple[bytes, bytes]], body_hash: bytes
    ) -> bytes:
        """As ``sign_parts``, with the RSA step on a worker thread.

        OpenSSL's RSA runs without the GIL (cryptography releases it), so while one
        copy is signed the event loop keeps other copies moving over SMTP.
        """
        unsigned, to_sign = self._prepare(headers, body_hash, None)
        loop = asyncio.get_running_loop()
        signature = await loop.run_in_executor(self._executor(), self._rsa, to_sign)
        return self._finish(unsigned, signature)

    @staticmethod
    def _executor() -> ThreadPoolExecutor:
        # One pool per process: a signer is made per issue, threads should not pile up.
        global _POOL
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=SIGNING_THREADS, thread_name_prefix="dkim")
        return _POOL

    def _rsa(self, data: bytes) -> bytes:
        return self._key.sign(data, self._padding, self._hash)

    def _prepare(
        self, headers: Iterable[tuple[bytes, bytes]], body_hash: bytes, now: int | None
    ) -> tuple[bytes, bytes]:
        names: list[bytes] = []
        canonical: list[bytes] = []
        for name, value in headers:
            if name.lower().decode("ascii") in self._wanted:
                names.append(name.lower())
                canonical.append(relaxed_header(name, value))
        stamp = int(time.time()) if now is None else now
        unsigned = (
            b"v=1; a=rsa-sha256; c=relaxed/relaxed; d="
            + self.domain.encode()
            + b"; s="
            + self.selector.encode()
            + b"; t="
            + str(stamp).encode()
            + b";\r\n h="
            + b":".join(names)
            + b";\r\n bh="
            + base64.b64encode(body_hash)
            + b";\r\n b="
        )
        canonical.append(relaxed_header(b"DKIM-Signature", unsigned))
        return unsigned, b"\r\n".join(canonical)

    @staticmethod
    def _finish(unsigned: bytes, signature: bytes) -> bytes:
        return b"DKIM-Signature: " + unsigned + base64.b64encode(signature) + b"\r\n"

    def sign(self, message: bytes) -> bytes:
        """``message`` (CRLF line ends) with a DKIM-Signature header prepended."""
        from dkim.canonicalization import Relaxed  # type: ignore[import-untyped]

        head, separator, body = message.partition(b"\r\n\r\n")
        if not separator:
            head, body = message.rstrip(b"\r\n"), b""
        body_hash = hashlib.sha256(Relaxed.canonicalize_body(body)).digest()
        signature = self.sign_parts(split_headers(head), body_hash)
        return signature + message


def split_headers(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value) of each header field in a CRLF header block, folds kept."""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields
