"""Redrawing a Slack card after a vote, through the platform-neutral card refresher.

The card is rendered from the database at the moment it is sent (never patched into
the clicker's copy of the message) and written with chat.update, so every clicker's
numbers end up on it. Cards chat.update cannot reach (ephemeral ones, or messages the
API does not find) are replaced through the click's response_url instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.core.card_refresher import Draw
from bot.core.views import CompareCard, Reply, ToolCard
from bot.slack_bot import blocks
from bot.slack_bot.respond import Responder
from db.queries.card_refresh import CardClaim

if TYPE_CHECKING:
    from bot.slack_bot.actions import Click
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)


def card_key(body: dict[str, Any]) -> str | None:
    """``slack:<team>:<channel>:<ts>`` of the clicked card, or None for an ephemeral one."""
    container = body.get("container") or {}
    if container.get("is_ephemeral"):
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    if not channel or not ts:
        return None
    return f"slack:{team}:{channel}:{ts}"


async def render_card(front: SlackFrontEnd, click: Click) -> blocks.Message | None:
    card: Reply
    if click.pair is not None:
        card = await front.service.compare_by_id(*click.pair, fresh=True)
    else:
        card = await front.service.tool_by_id(click.tool_id, fresh=True)
    if isinstance(card, CompareCard | ToolCard):
        return blocks.card_message(card)
    return None


def card_drawer(
    front: SlackFrontEnd, token: str | None, body: dict[str, Any], click: Click, respond: Responder
) -> Draw:
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")

    async def draw() -> bool:
        message = await render_card(front, click)
        if message is None:
            return True  # a tool left the catalog: nothing true to draw
        try:
            await front.api.chat_update(
                token=token, channel=channel, ts=ts, text=message["text"], blocks=message["blocks"]
            )
            return True
        except SlackApiError as exc:
            log.info(
                "chat.update failed (%s); replacing through response_url", exc.response["error"]
            )
        return await respond(replace_original=True, text=message["text"], blocks=message["blocks"])

    return draw


async def redraw(
    front: SlackFrontEnd,
    token: str | None,
    body: dict[str, Any],
    click: Click,
    respond: Responder,
    claim: CardClaim | None,
) -> None:
    """After a vote: redraw the shared card when the vote took its claim (else whoever
    holds the claim draws this vote too), or the click's own ephemeral copy."""
    if card_key(body) is None:
        message = await render_card(front, click)
        if message is not None:
            await respond(replace_original=True, text=message["text"], blocks=message["blocks"])
        return
    if claim is not None:
        await front.cards.redraw(claim, card_drawer(front, token, body, click, respond))
