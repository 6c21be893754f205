"""Slack unfurls our own links: ``link_shared`` → ``chat.unfurl`` with the Block Kit card.

Slack sends the event for links on the domains the manifest lists under
``unfurl_domains``; we answer for the URLs that are our comparison and tool pages.
Buttons are left out: an unfurl is a preview, and the page itself takes votes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.links import split_pair
from bot.core.views import CompareCard, ToolCard
from bot.slack_bot.blocks import Block, compare_message, context, tool_message
from bot.slack_bot.mrkdwn import link

if TYPE_CHECKING:
    from bot.slack_bot.app import SlackFrontEnd

log = logging.getLogger(__name__)
MAX_UNFURLS = 5


def register_unfurls(app: AsyncApp, front: SlackFrontEnd) -> None:
    async def link_shared(body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body.get("event") or {}
        unfurls: dict[str, dict[str, Any]] = {}
        for shared in (event.get("links") or [])[:MAX_UNFURLS]:
            url = str(shared.get("url") or "")
            card = await card_for(front, url)
            if card is not None:
                unfurls[url] = {"blocks": unfurl_blocks(card, url)}
        if not unfurls:
            return
        where: dict[str, Any] = (
            {"unfurl_id": event["unfurl_id"], "source": event["source"]}
            if event.get("unfurl_id") and event.get("source")
            else {"channel": event.get("channel"), "ts": event.get("message_ts")}
        )
        await front.api.chat_unfurl(token=context.bot_token, unfurls=unfurls, **where)

    app.event("link_shared")(front.background.ack_then(link_shared))


async def card_for(front: SlackFrontEnd, url: str) -> CompareCard | ToolCard | None:
    """The card behind one of our page URLs, or None for anything else."""
    base = urlsplit(front.config.public_url)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(parts.path).removeprefix(base.path.rstrip("/"))
    service = front.service
    await service.index.refresh(service.database)
    by_slug = service.index.by_slug
    if path.startswith("/compare/"):
        pair = split_pair(path.removeprefix("/compare/"), set(by_slug))
        if pair is None or pair[0] not in by_slug or pair[1] not in by_slug:
            return None
        card = await service.compare_by_id(by_slug[pair[0]].id, by_slug[pair[1]].id)
        return card if isinstance(card, CompareCard) else None
    if path.startswith("/tools/"):
        tool = by_slug.get(path.removeprefix("/tools/"))
        if tool is None:
            return None
        found = await service.tool_by_id(tool.id)
        return found if isinstance(found, ToolCard) else None
    return None


def unfurl_blocks(card: CompareCard | ToolCard, url: str) -> list[Block]:
    """The card without its buttons (and the line about them), ending with the page link."""
    message = compare_message(card) if isinstance(card, CompareCard) else tool_message(card)
    kept = [
        block
        for block in message["blocks"]
        if block.get("type") not in ("actions", "context") or _mentions_other(block)
    ]
    label = "Open full comparison" if isinstance(card, CompareCard) else "Open full page"
    return [*kept, context(link(url, f"{label} to vote", strong=True))]


def _mentions_other(block: Block) -> bool:
    # Context lines other than the button hint and page link (e.g. "…and 2 more critics").
    texts = [str(e.get("text", "")) for e in block.get("elements", [])]
    return bool(texts) and texts[0].startswith("…")
