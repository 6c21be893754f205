"""Slash commands: ack at once, then answer through response_url.

Comparisons are team requests and go to the channel; everything else (errors,
votes, bookmarks, tool cards, help) is ephemeral to the person who typed it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.views import CompareCard, ErrorView, Reply
from bot.slack_bot import blocks
from bot.slack_bot.admin import is_workspace_admin
from bot.slack_bot.context import from_command
from bot.slack_bot.respond import Responder

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)
# Slash command name -> the core's command word.
TEXT_COMMANDS = {
    "/compare": "compare",
    "/vote": "vote",
    "/bookmark": "bookmark",
    "/bookmarks": "bookmarks",
    "/tool": "tool",
    "/subscribe": "subscribe",
    "/link": "link",
    "/unlink": "unlink",
}
Work = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]


async def answer(front: SlackFrontEnd, respond: Responder, reply: Reply) -> None:
    """A comparison in the channel for everyone; anything else only to its author."""
    message = blocks.render(reply)
    kind = "in_channel" if isinstance(reply, CompareCard) else "ephemeral"
    await respond(response_type=kind, text=message["text"], blocks=message["blocks"])


def _text_command(front: SlackFrontEnd, word: str) -> Work:
    async def work(body: dict[str, Any], _context: AsyncBoltContext) -> None:
        respond = front.responder(body)
        text = str(body.get("text") or "")
        reply = await front.service.run(from_command(body), f"{word} {text}")
        await answer(front, respond, reply)

    return work


def _shiporskip(front: SlackFrontEnd) -> Work:
    async def work(body: dict[str, Any], _context: AsyncBoltContext) -> None:
        respond = front.responder(body)
        text = str(body.get("text") or "").strip() or "help"
        reply = await front.service.run(from_command(body), text)
        await answer(front, respond, reply)

    return work


def _digest(front: SlackFrontEnd) -> Work:
    async def work(body: dict[str, Any], context: AsyncBoltContext) -> None:
        respond = front.responder(body)
        choice = str(body.get("text") or "").strip().casefold()
        if choice not in ("here", "off"):
            usage = ErrorView("usage", "Say where the digest goes.", usage="/digest here|off")
            await answer(front, respond, usage)
            return
        ctx = from_command(body)
        admin = await is_workspace_admin(
            front.api,
            context.bot_token,
            front.installation_store,
            ctx.user_id,
            ctx.workspace,
            body.get("enterprise_id"),
        )
        reply = await front.service.digest_channel(
            ctx, str(body.get("channel_id") or ""), enable=choice == "here", is_admin=admin
        )
        await answer(front, respond, reply)

    return work


def register_commands(app: AsyncApp, front: SlackFrontEnd) -> None:
    ack_then = front.background.ack_then
    for command, word in TEXT_COMMANDS.items():
        app.command(command)(ack_then(_text_command(front, word)))
    app.command("/shiporskip")(ack_then(_shiporskip(front)))
    app.command("/digest")(ack_then(_digest(front)))
