"""Slack's HTTP endpoints on the shared aiohttp app.

``POST /slack/events`` takes events, slash commands and interactivity. Its signature
is checked before anything else (bolt's SignatureVerifier: v0 HMAC, five-minute
window); a forged or stale request gets 401 and reaches nothing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack_bot.app import EVENTS_PATH, SlackFrontEnd, front_end_for
from bot.slack_bot.config import SlackConfigError
from bot.slack_bot.install_limit import InstallLimiter
from bot.web.forms import form_fields

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)
# Unix seconds in ASCII digits; anything else (400 digits, "-1", "1e9", "") is refused
# before slack_sdk's int() and the time arithmetic see it.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


# The fields bolt reads with .get() or [0] before any listener runs: each must have
# the type Slack sends, or bolt fails with an AttributeError (a 500 and a traceback).
_OBJECTS = ("event", "container", "view", "message", "state")
_OBJECT_OR_TEXT = ("team", "user", "channel", "enterprise", "type", "callback_id")
_LISTS_OF_OBJECTS = ("authorizations", "actions")


def _slack_shaped(payload: object) -> bool:
    if not isinstance(payload, dict):
        return False
    for key in _OBJECTS:
        if key in payload and not isinstance(payload[key], dict):
            return False
    for key in _OBJECT_OR_TEXT:
        if key in payload and not isinstance(payload[key], dict | str):
            return False
    for key in _LISTS_OF_OBJECTS:
        value = payload.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return False
    event = payload.get("event")
    return event is None or all(
        not isinstance(event.get(key), list | int | float | bool) for key in _OBJECT_OR_TEXT
    )


def _slack_payload(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The body as bolt reads it, if it has the shape Slack sends (else None): a JSON
    object, or a form whose ``payload`` field (interactivity), if any, is a JSON object.

    Parsed once here and handed to bolt as a dict, so bolt does not parse it again.
    """
    try:
        text = body.decode("utf-8")
        if content_type == _JSON:
            parsed = orjson.loads(text)
            return parsed if _slack_shaped(parsed) else None
        fields = form_fields(text)
        payloads = fields.get("payload")
        if payloads is None:
            # As bolt's own parser: the last value of a repeated field wins.
            return {key: values[-1] for key, values in fields.items()} or None
        if len(payloads) != 1:
            return None
        payload = orjson.loads(payloads[0])
        return payload if _slack_shaped(payload) else None
    except (UnicodeDecodeError, ValueError):
        return None


class SlackRoutes:
    def __init__(self, front: SlackFrontEnd) -> None:
        self.front = front
        self.install_limiter = InstallLimiter()

    async def events(self, request: web.Request) -> web.Response:
        # read() enforces the web app's body cap (413) before we hash anything.
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature")
        verifier = self.front.verifier
        try:
            valid = (
                verifier is not None
                and _TIMESTAMP.fullmatch(timestamp) is not None
                and verifier.is_valid(body, timestamp, signature)
            )
        except ValueError:  # a body that is not UTF-8: slack_sdk decodes it to hash it
            valid = False
        if not valid:
            log.warning("refused a Slack request with a bad or stale signature")
            return web.Response(status=401, text="invalid signature")
        if request.content_type not in (_FORM, _JSON):
            log.warning("refused a signed Slack request of type %.60r", request.content_type)
            return web.Response(status=415, text="unsupported content type")
        payload = _slack_payload(body, request.content_type)
        if payload is None:
            log.warning("refused a signed Slack request whose body is not a Slack payload")
            return web.Response(status=400, text="unreadable request body")
        # bolt takes an already parsed body only in its "socket_mode" request; the mode
        # matters to bolt only for its own signature check (off: done above) and for
        # copying requests to lazy listeners (we have none).
        bolt_request = AsyncBoltRequest(
            body=payload,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
            mode="socket_mode",
        )
        return await to_aiohttp_response(await self.front.app.async_dispatch(bolt_request))

    async def install(self, request: web.Request) -> web.Response:
        flow = self.front.app.oauth_flow
        assert flow is not None
        # Every install start writes a state row: over budget, answer before the write.
        if not self.install_limiter.allow(request.remote or "?"):
            return web.Response(
                status=429,
                text="too many install attempts; try again in a minute",
                headers={"Retry-After": "60"},
            )
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.front.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))


def install_slack_routes(app: web.Application, runtime: Runtime) -> None:
    """The route installer the runner adds when Slack is configured."""
    try:
        front = front_end_for(runtime)
    except SlackConfigError as exc:
        raise SystemExit(f"Slack is misconfigured: {exc}") from exc
    routes = SlackRoutes(front)

    async def close(_app: web.Application) -> None:
        await front.close()

    app.on_cleanup.append(close)
    if front.verifier is not None:
        app.router.add_post(EVENTS_PATH, routes.events)
    flow = front.app.oauth_flow
    if flow is not None:
        app.router.add_get(flow.install_path, routes.install)
        app.router.add_get(flow.redirect_uri_path, routes.oauth_redirect)
