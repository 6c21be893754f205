"""Slack's HTTP endpoints on the shared aiohttp app.

``POST /slack/events`` takes events, slash commands and interactivity. Its signature
is checked before anything else (bolt's SignatureVerifier: v0 HMAC, five-minute
window); a forged or stale request gets 401 and reaches nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.slack_bot.app import EVENTS_PATH, SlackFrontEnd, front_end_for
from bot.slack_bot.config import SlackConfigError

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)


class SlackRoutes:
    def __init__(self, front: SlackFrontEnd) -> None:
        self.front = front

    async def events(self, request: web.Request) -> web.Response:
        # read() enforces the web app's body cap (413) before we hash anything.
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        verifier = self.front.verifier
        try:
            valid = verifier is not None and verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            log.warning("refused a Slack request with a bad or stale signature")
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:  # a JSON body or payload field that does not parse
            log.warning("refused a signed Slack request whose body could not be read")
            return web.Response(status=400, text="unreadable request body")
        return await to_aiohttp_response(await self.front.app.async_dispatch(bolt_request))

    async def install(self, request: web.Request) -> web.Response:
        flow = self.front.app.oauth_flow
        assert flow is not None
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
