"""Events: App Home opened, app uninstalled, tokens revoked."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.context import CommandContext
from bot.slack_bot.context import PLATFORM
from bot.slack_bot.home import build_home

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)


def register_events(app: AsyncApp, front: SlackFrontEnd) -> None:
    async def home_opened(body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        ctx = CommandContext(PLATFORM, str(context.team_id or context.enterprise_id or ""), user)
        view = await build_home(front, ctx)
        await front.api.views_publish(token=context.bot_token, user_id=user, view=view)

    app.event("app_home_opened")(front.background.ack_then(home_opened))
    if front.installation_store is not None:
        # bolt's own listeners delete the installation rows (and so the encrypted tokens).
        app.event("app_uninstalled")(app.default_app_uninstalled_event_listener())
        app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())
    else:

        async def ignore(event: dict[str, Any]) -> None:
            log.info("slack event %s (single workspace: nothing stored)", event.get("type"))

        app.event("app_uninstalled")(ignore)
        app.event("tokens_revoked")(ignore)
