"""Slash commands, one per registry entry: ack at once, then answer through response_url.

Who sees the answer comes from the registry: a public command's card goes to the
channel (in_channel), everything else, errors included, only to its author (ephemeral).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.registry import Answer, CommandSpec, Platform, commands_for
from bot.slack_bot import blocks
from bot.slack_bot.admin import is_workspace_admin
from bot.slack_bot.context import from_command
from bot.slack_bot.respond import Responder

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)
PLATFORM: Platform = "slack"
# Slash command -> the core's command word; "" for /shiporskip, whose text is the command.
TEXT_COMMANDS = {
    f"/{spec.name}": "" if spec.text_only else spec.name for spec in commands_for(PLATFORM)
}
Work = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]


async def answer(respond: Responder, answered: Answer) -> None:
    """Render the reply and send it to the channel or to its author only."""
    message = blocks.render(answered.reply)
    kind = "in_channel" if answered.visibility == "public" else "ephemeral"
    await respond(response_type=kind, text=message["text"], blocks=message["blocks"])


def _work(front: SlackFrontEnd, spec: CommandSpec) -> Work:
    async def work(body: dict[str, Any], context: AsyncBoltContext) -> None:
        respond = front.responder(body)
        ctx = from_command(body)
        text = str(body.get("text") or "").strip()
        line = (text or "help") if spec.text_only else f"{spec.name} {text}"

        async def is_admin() -> bool:
            return await is_workspace_admin(
                front.api,
                context.bot_token,
                front.installation_store,
                ctx.user_id,
                ctx.workspace,
                body.get("enterprise_id"),
            )

        answered = await front.service.run_text(
            ctx, line, channel_id=str(body.get("channel_id") or ""), is_admin=is_admin
        )
        await answer(respond, answered)

    return work


def register_commands(app: AsyncApp, front: SlackFrontEnd) -> None:
    ack_then = front.background.ack_then
    for spec in commands_for(PLATFORM):
        app.command(f"/{spec.name}")(ack_then(_work(front, spec)))
