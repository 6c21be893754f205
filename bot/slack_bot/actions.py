"""Ship, Skip and Bookmark buttons on cards.

A click counts (or changes) the clicker's vote, confirms to the clicker only, and
hands the card to the card refresher (``live_card``), which redraws it for everyone
in the channel with the numbers as they are. A retried or replayed click is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.core.views import (
    BookmarkResult,
    ErrorView,
    Verdict,
    VoteResult,
)
from bot.slack_bot import blocks
from bot.slack_bot.context import from_action
from bot.slack_bot.live_card import card_key, redraw
from bot.slack_bot.respond import Responder

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)
VOTE_PATTERN = re.compile(r"^sos:vote:(ship|skip):\d+$")
# The intent travels in the button (add on cards), so a replayed click cannot undo itself;
# cards posted before intents existed carry none and toggle.
BOOKMARK_PATTERN = re.compile(r"^sos:bookmark:(?:(add|remove):)?\d+$")
_VALUE = re.compile(r"^(\d{1,18})(?::(\d{1,18}):(\d{1,18}))?$")


@dataclass(frozen=True, slots=True)
class Click:
    """What a button carries: the tool, and the pair when it sits on a comparison."""

    kind: Literal["vote", "bookmark"]
    tool_id: int
    verdict: Verdict | None
    pair: tuple[int, int] | None
    want: bool | None = None  # bookmark: save (True), remove (False), toggle (None)


def parse_click(action: dict[str, Any]) -> Click | None:
    """The click, or None for a value we did not write (stale or forged)."""
    action_id = str(action.get("action_id") or "")
    found = _VALUE.match(str(action.get("value") or ""))
    if found is None:
        return None
    tool_id = int(found.group(1))
    pair = (int(found.group(2)), int(found.group(3))) if found.group(2) else None
    vote = VOTE_PATTERN.match(action_id)
    if vote:
        return Click("vote", tool_id, cast(Verdict, vote.group(1)), pair)
    mark = BOOKMARK_PATTERN.match(action_id)
    if mark:
        want = None if mark.group(1) is None else mark.group(1) == "add"
        return Click("bookmark", tool_id, None, pair, want)
    return None


async def _confirm(
    front: SlackFrontEnd, token: str | None, respond: Responder, body: dict[str, Any], text: str
) -> None:
    message = blocks.text_message(text)
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    if channel and user:
        try:
            await front.api.chat_postEphemeral(token=token, channel=channel, user=user, **message)
            return
        except SlackApiError as exc:
            # DMs with the app and some private channels refuse ephemerals from the API.
            log.info("chat.postEphemeral failed (%s); using response_url", exc.response["error"])
    # Private either way: an ephemeral answer that leaves the card alone.
    await respond(response_type="ephemeral", replace_original=False, **message)


def _on_click(front: SlackFrontEnd) -> Any:
    async def work(body: dict[str, Any], context: AsyncBoltContext) -> None:
        if not await front.replays.first_time(body):
            return
        respond = front.responder(body)
        action = (body.get("actions") or [{}])[0]
        click = parse_click(action)
        ctx = from_action(body)
        if click is None:
            await _confirm(
                front,
                context.bot_token,
                respond,
                body,
                "That button is out of date. Nothing changed.",
            )
            return
        result: VoteResult | BookmarkResult | ErrorView
        if click.kind == "vote" and click.verdict is not None:
            result = await front.service.vote_by_id(
                ctx, click.tool_id, click.verdict, card_key(body)
            )
        else:
            result = await front.service.bookmark_by_id(ctx, click.tool_id, click.want)
        if isinstance(result, ErrorView):
            await _confirm(front, context.bot_token, respond, body, result.full_text)
            return
        confirm = _confirm(front, context.bot_token, respond, body, result.message)
        if isinstance(result, VoteResult):
            # The private confirmation and the public redraw don't wait for each other.
            await asyncio.gather(
                confirm, redraw(front, context.bot_token, body, click, respond, result.claim)
            )
        else:
            await confirm

    return work


def register_actions(app: AsyncApp, front: SlackFrontEnd) -> None:
    listener = front.background.ack_then(_on_click(front))
    app.action(VOTE_PATTERN)(listener)
    app.action(BOOKMARK_PATTERN)(listener)
