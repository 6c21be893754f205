"""Who is signed in, kept in a signed cookie; plus the short-lived OAuth state cookie.

Nothing about a visitor is stored server-side: the session cookie holds the chat
identity (platform, workspace, user) and a CSRF secret, signed with SECRET_KEY.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.core.context import CommandContext

SESSION_COOKIE = "sos_session"
STATE_COOKIE = "sos_oauth_state"
FLASH_COOKIE = "sos_flash"
SESSION_MAX_AGE_S = 30 * 24 * 3600
STATE_MAX_AGE_S = 600


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in person, as the chat platform knows them."""

    platform: str
    workspace: str
    user_id: str
    name: str
    csrf: str

    @property
    def context(self) -> CommandContext:
        """The same context chat builds, so a web vote is that person's chat vote."""
        return CommandContext(self.platform, self.workspace, self.user_id, self.name)


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    provider: str
    state: str
    nonce: str
    next_path: str


class Sessions:
    """Reads and writes the site's cookies for one deployment."""

    def __init__(self, secret_key: str, *, secure: bool) -> None:
        self._session = URLSafeTimedSerializer(secret_key, salt="site-session")
        self._state = URLSafeTimedSerializer(secret_key, salt="site-oauth-state")
        self._flash = URLSafeTimedSerializer(secret_key, salt="site-flash")
        self.secure = secure

    def _set(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        # Lax: the OAuth provider's redirect back to us is a top-level GET that must carry it.
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            path="/",
        )

    def visitor(self, request: web.Request) -> Visitor | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self._session.loads(raw, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if (
            not isinstance(data, list)
            or len(data) != 5
            or not all(isinstance(v, str) for v in data)
        ):
            return None
        return Visitor(*data)

    def sign_in(
        self, response: web.StreamResponse, platform: str, workspace: str, user_id: str, name: str
    ) -> Visitor:
        visitor = Visitor(platform, workspace, user_id, name[:80], secrets.token_urlsafe(18))
        value = self._session.dumps(
            [visitor.platform, visitor.workspace, visitor.user_id, visitor.name, visitor.csrf]
        )
        self._set(response, SESSION_COOKIE, value, SESSION_MAX_AGE_S)
        return visitor

    def sign_out(self, response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path="/")

    def start_sign_in(
        self, response: web.StreamResponse, provider: str, next_path: str
    ) -> PendingSignIn:
        pending = PendingSignIn(
            provider, secrets.token_urlsafe(24), secrets.token_urlsafe(16), next_path
        )
        value = self._state.dumps([provider, pending.state, pending.nonce, next_path])
        self._set(response, STATE_COOKIE, value, STATE_MAX_AGE_S)
        return pending

    def pending_sign_in(
        self, request: web.Request, provider: str, state: str
    ) -> PendingSignIn | None:
        """The sign-in this browser started with ``provider``, if ``state`` is its own."""
        raw = request.cookies.get(STATE_COOKIE)
        if not raw or not state:
            return None
        try:
            data = self._state.loads(raw, max_age=STATE_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(data, list) or len(data) != 4:
            return None
        pending = PendingSignIn(*(str(v) for v in data))
        if pending.provider != provider or not secrets.compare_digest(pending.state, state):
            return None
        return pending

    def end_sign_in(self, response: web.StreamResponse) -> None:
        response.del_cookie(STATE_COOKIE, path="/")

    def flash(self, response: web.StreamResponse, message: str) -> None:
        self._set(response, FLASH_COOKIE, self._flash.dumps(message[:300]), 60)

    def read_flash(self, request: web.Request) -> str | None:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        try:
            value = self._flash.loads(raw, max_age=60)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None


def safe_next(path: str) -> str:
    """Only our own paths: an open redirect after sign-in would be a phishing tool."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "/"  # a newline would break the Location header
    return path
