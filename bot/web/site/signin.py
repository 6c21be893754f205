"""Sign in with Discord (OAuth2, ``identify``) and with Slack (OpenID Connect).

Both are the authorization-code flow: we send the browser to the provider with a
state that only this browser's cookie knows, the provider sends it back with a
single-use code, and we trade the code (with our client secret) for a token that
tells us who the person is. We keep only the chat identity; tokens are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.settings import Settings

DISCORD_AUTHORIZE = "https://discord.com/oauth2/authorize"
DISCORD_API = "https://discord.com/api"
SLACK_AUTHORIZE = "https://slack.com/openid/connect/authorize"
SLACK_API = "https://slack.com/api"
TIMEOUT = aiohttp.ClientTimeout(total=10)


class SignInFailed(Exception):
    """The provider refused the code or answered with something we can't use."""


@dataclass(frozen=True, slots=True)
class Identity:
    platform: str
    workspace: str
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Provider:
    key: str
    label: str
    client_id: str
    client_secret: str
    authorize_url: str
    api_url: str

    def redirect_uri(self, public_url: str) -> str:
        return f"{public_url}/signin/{self.key}/callback"

    def authorize(self, public_url: str, state: str, nonce: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri(public_url),
            "state": state,
            "scope": "identify" if self.key == "discord" else "openid profile",
        }
        if self.key == "slack":
            query["nonce"] = nonce
        return f"{self.authorize_url}?{urlencode(query)}"

    async def identify(self, public_url: str, code: str) -> Identity:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri(public_url),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            if self.key == "discord":
                return await _discord(http, self.api_url, form)
            return await _slack(http, self.api_url, form)


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError) as exc:
        raise SignInFailed(f"unreadable answer ({response.status})") from exc
    if not isinstance(data, dict):
        raise SignInFailed("unexpected answer")
    return data


async def _discord(http: aiohttp.ClientSession, api: str, form: dict[str, str]) -> Identity:
    async with http.post(f"{api}/oauth2/token", data=form) as response:
        token = await _json(response)
        if response.status != 200 or "access_token" not in token:
            raise SignInFailed(str(token.get("error", response.status)))
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    async with http.get(f"{api}/users/@me", headers=headers) as response:
        user = await _json(response)
        if response.status != 200 or not user.get("id"):
            raise SignInFailed("no user")
    user_id = str(user["id"])
    # Chat keeps a person's direct-message votes under their own id as the workspace.
    name = str(user.get("global_name") or user.get("username") or "")
    return Identity("discord", user_id, user_id, name)


async def _slack(http: aiohttp.ClientSession, api: str, form: dict[str, str]) -> Identity:
    async with http.post(f"{api}/openid.connect.token", data=form) as response:
        token = await _json(response)
        if not token.get("ok") or "access_token" not in token:
            raise SignInFailed(str(token.get("error", response.status)))
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    async with http.post(f"{api}/openid.connect.userInfo", headers=headers) as response:
        claims = await _json(response)
        if not claims.get("ok"):
            raise SignInFailed(str(claims.get("error", "no user")))
    team = str(claims.get("https://slack.com/team_id") or "")
    user = str(claims.get("https://slack.com/user_id") or claims.get("sub") or "")
    if not team or not user:
        raise SignInFailed("no team or user in userInfo")
    return Identity("slack", team, user, str(claims.get("name") or ""))


def providers(settings: Settings) -> dict[str, Provider]:
    """The sign-in providers this deployment has credentials for."""
    found: dict[str, Provider] = {}
    discord = settings.discord
    if discord.client_id and discord.client_secret:
        found["discord"] = Provider(
            "discord",
            "Discord",
            discord.client_id,
            discord.client_secret.get_secret_value(),
            (discord.oauth_authorize_url or DISCORD_AUTHORIZE).rstrip("/"),
            (discord.oauth_api_url or DISCORD_API).rstrip("/"),
        )
    slack = settings.slack
    if slack.signin_client_id and slack.signin_client_secret:
        found["slack"] = Provider(
            "slack",
            "Slack",
            slack.signin_client_id,
            slack.signin_client_secret.get_secret_value(),
            (slack.signin_authorize_url or SLACK_AUTHORIZE).rstrip("/"),
            (slack.api_url or SLACK_API).rstrip("/"),
        )
    return found
