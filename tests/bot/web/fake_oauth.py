"""Fake Discord OAuth2 and Sign in with Slack (OpenID Connect) servers on loopback.

They speak the documented wire protocol of the authorization-code flow:
- Discord: GET /oauth2/authorize redirects back with ``code`` and ``state`` (or
  ``error=access_denied``); POST /api/oauth2/token (form: grant_type, code,
  redirect_uri, client_id, client_secret, or HTTP Basic) answers
  ``{"access_token", "token_type": "Bearer", "expires_in", "refresh_token", "scope"}`` or a
  400/401 ``{"error": "invalid_grant" | "invalid_client"}``; GET /api/users/@me with the
  bearer token answers the user object.
- Slack: GET /openid/connect/authorize likewise; POST /api/openid.connect.token answers
  ``{"ok": true, "access_token", "token_type": "Bearer", "id_token"}`` or
  ``{"ok": false, "error": "invalid_code" | "bad_client_secret" | "bad_redirect_uri"}``
  (HTTP 200, as Slack's Web API does); POST /api/openid.connect.userInfo with the
  bearer token answers the claims, team and user ids under ``https://slack.com/...``.
Codes are single use, bound to the client and the redirect_uri they were issued for.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    user: dict[str, Any]


@dataclass
class FakeOAuth:
    client_id: str = "web-client"
    client_secret: str = "web-secret"
    # Who "is logged in" at the provider, and whether they press Allow.
    discord_user: dict[str, Any] = field(
        default_factory=lambda: {"id": "4242", "username": "ada", "global_name": "Ada"}
    )
    slack_user: dict[str, Any] = field(
        default_factory=lambda: {"team": "T0WEB", "user": "U0WEB", "name": "Ada Slack"}
    )
    deny: bool = False
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> FakeOAuth:
        app = web.Application()
        app.router.add_get("/discord/oauth2/authorize", self._authorize_discord)
        app.router.add_post("/discord/api/oauth2/token", self._discord_token)
        app.router.add_get("/discord/api/users/@me", self._discord_me)
        app.router.add_get("/slack/openid/connect/authorize", self._authorize_slack)
        app.router.add_post("/slack/api/openid.connect.token", self._slack_token)
        app.router.add_post("/slack/api/openid.connect.userInfo", self._slack_userinfo)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()

    # -- authorize: the person's browser ----------------------------------------------------

    def _authorize(self, request: web.Request, scope: str, user: dict[str, Any]) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return web.Response(status=400, text="invalid client or response_type")
        if set(query.get("scope", "").split()) != set(scope.split()):
            return web.Response(status=400, text="invalid scope")
        redirect = query.get("redirect_uri", "")
        back: dict[str, str] = {}
        if self.deny:
            back["error"] = "access_denied"
            back["error_description"] = (
                "The resource owner or authorization server denied the request"
            )
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = Grant(self.client_id, redirect, user)
            back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        return web.Response(status=302, headers={"Location": f"{redirect}?{urlencode(back)}"})

    async def _authorize_discord(self, request: web.Request) -> web.Response:
        return self._authorize(request, "identify", self.discord_user)

    async def _authorize_slack(self, request: web.Request) -> web.Response:
        return self._authorize(request, "openid profile", self.slack_user)

    # -- token: our server ---------------------------------------------------------------------

    def _client(self, request: web.Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return cid, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _redeem(self, form: dict[str, str]) -> Grant | str:
        grant = self.codes.pop(form.get("code", ""), None)  # single use, whatever happens
        if grant is None:
            return "invalid_grant"
        if grant.redirect_uri != form.get("redirect_uri"):
            return "bad_redirect_uri"
        return grant

    async def _discord_token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        cid, secret = self._client(request, form)
        if cid != self.client_id or secret != self.client_secret:
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        grant = self._redeem(form)
        if isinstance(grant, str):
            return web.json_response({"error": "invalid_grant"}, status=400)
        token = secrets.token_urlsafe(16)
        self.tokens[token] = grant.user
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(8),
                "scope": "identify",
            }
        )

    def _bearer(self, request: web.Request) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        return (
            self.tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )

    async def _discord_me(self, request: web.Request) -> web.Response:
        user = self._bearer(request)
        if user is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response({**user, "discriminator": "0", "avatar": None})

    async def _slack_token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        cid, secret = self._client(request, form)
        if cid != self.client_id:
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if secret != self.client_secret:
            return web.json_response({"ok": False, "error": "bad_client_secret"})
        grant = self._redeem(form)
        if isinstance(grant, str):
            return web.json_response(
                {"ok": False, "error": "invalid_code" if grant == "invalid_grant" else grant}
            )
        token = "xoxp-" + secrets.token_urlsafe(12)
        self.tokens[token] = grant.user
        return web.json_response(
            {"ok": True, "access_token": token, "token_type": "Bearer", "id_token": "eyJ.fake.jwt"}
        )

    async def _slack_userinfo(self, request: web.Request) -> web.Response:
        user = self._bearer(request)
        if user is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(
            {
                "ok": True,
                "sub": user["user"],
                "https://slack.com/user_id": user["user"],
                "https://slack.com/team_id": user["team"],
                "name": user["name"],
            }
        )
