"""Slash commands, one per registry entry: ack at once, then answer through response_url.

Who sees the answer comes from the registry: a public command's card goes to the
channel (in_channel), everything else, errors included, only to its author (ephemeral).
The card commands (/compare, /tool) answer in the ack itself when the card is ready
within a second, which saves Slack a round trip; later, through response_url.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.registry import Answer, CommandSpec, Platform, commands_for
from bot.core.views import CompareCard, ToolCard
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


# Answered in the ack when ready in time: the commands whose answer is a card.
IN_ACK = frozenset({"compare", "tool"})


def payload(answered: Answer) -> dict[str, Any]:
    """The rendered reply, to the channel or to its author only."""
    reply = answered.reply
    message = (
        blocks.card_message(reply)
        if isinstance(reply, CompareCard | ToolCard)
        else blocks.render(reply)
    )
    kind = "in_channel" if answered.visibility == "public" else "ephemeral"
    return {"response_type": kind, "text": message["text"], "blocks": message["blocks"]}


async def answer(respond: Responder, answered: Answer) -> None:
    """Render the reply and send it to the channel or to its author only."""
    await respond(**payload(answered))


def _work(front: SlackFrontEnd, spec: CommandSpec) -> Work:
    compute = _answering(front, spec)

    async def work(body: dict[str, Any], context: AsyncBoltContext) -> None:
        message = await compute(body, context)
        if message is not None:
            await front.responder(body)(**message)

    return work


def _answering(
    front: SlackFrontEnd, spec: CommandSpec
) -> Callable[[dict[str, Any], AsyncBoltContext], Awaitable[dict[str, Any] | None]]:
    """The command's answer as a payload; None for a request already run (nothing to say)."""

    async def compute(body: dict[str, Any], context: AsyncBoltContext) -> dict[str, Any] | None:
        if not await front.replays.first_time(body):
            return None  # Slack's retry or a replay of a command already run
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
        return payload(answered)

    return compute


def register_commands(app: AsyncApp, front: SlackFrontEnd) -> None:
    background = front.background

    async def send_later(body: dict[str, Any], message: dict[str, Any]) -> None:
        await front.responder(body)(**message)

    for spec in commands_for(PLATFORM):
        if spec.name in IN_ACK:
            listener = background.answer_in_ack(_answering(front, spec), send_later)
        else:
            listener = background.ack_then(_work(front, spec))
        app.command(f"/{spec.name}")(listener)
