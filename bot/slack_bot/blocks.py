"""The core's view models as Block Kit messages, always within Slack's limits.

Every piece of catalog or user text goes through ``mrkdwn.fit`` (escaped, then
shortened on a word boundary) or ``mrkdwn.plain`` for plain_text objects.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.core.views import (
    BookmarkList,
    CompareCard,
    DigestPost,
    ErrorView,
    HelpView,
    Reply,
    ScorecardRow,
    ScoreLine,
    ToolCard,
)
from bot.slack_bot import limits as L
from bot.slack_bot.mrkdwn import bold, escape, fit, link, plain

Block = dict[str, Any]
Message = dict[str, Any]

TOOL_BLOCK = "sos-tool-"  # block_id of a tool's section: sos-tool-<tool id>
COMMUNITY_LABEL = "Community"
VOTE_ACTION = "sos:vote:"  # sos:vote:<ship|skip>:<tool id>
BOOKMARK_ACTION = "sos:bookmark:"  # sos:bookmark:add:<tool id> (older cards: no intent)
# Header, decision, dividers, tool sections, scorecard title, context and two action rows.
_COMPARE_FIXED_BLOCKS = 10


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(text: str, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section"}
    if text:
        block["text"] = mrkdwn(text[: L.MAX_SECTION_TEXT])
    if fields:
        block["fields"] = [mrkdwn(f[: L.MAX_FIELD_TEXT]) for f in fields[: L.MAX_FIELDS]]
    return block


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": plain(text, L.MAX_HEADER_TEXT) or "Ship or Skip",
            "emoji": True,
        },
    }


def context(*lines: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(line) for line in lines[: L.MAX_CONTEXT_ELEMENTS]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(text, L.MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id[: L.MAX_ACTION_ID],
        "value": value[: L.MAX_BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def field(label: str, value: str) -> str:
    """A labelled field: bold label on one line, the escaped value below, within 2000."""
    head = bold(escape(label)) + "\n"
    return head + fit(value or "—", L.MAX_FIELD_TEXT - len(head))


def tool_actions(tool: ToolCard, value: str) -> Block:
    """Ship, Skip and Bookmark buttons for one tool; ``value`` carries the tool ids."""
    return _actions(tool.tool_id, tool.name, value)


def _actions(tool_id: int, name: str, value: str) -> Block:
    return {
        "type": "actions",
        "block_id": f"sos-actions-{tool_id}",
        "elements": [
            button(f"Ship {name}", f"{VOTE_ACTION}ship:{tool_id}", value, "primary"),
            button(f"Skip {name}", f"{VOTE_ACTION}skip:{tool_id}", value, "danger"),
            button(f"Bookmark {name}", f"{BOOKMARK_ACTION}add:{tool_id}", value),
        ],
    }


# A vote changes the numbers in one tool's section, and the card is redrawn after every
# vote: the other blocks are cached on what they show, so a redraw builds one section.
# Cached blocks are shared between messages, so nothing may change them (they are only
# serialized, as card_message's results are).
PART_CACHE = 64


@functools.lru_cache(maxsize=PART_CACHE)
def _tool_section(tool: ToolCard) -> Block:
    title = link(tool.url, plain(tool.name, 200), strong=True) + " · " + fit(tool.category, 200)
    text = title + "\n" + fit(tool.best_for, L.MAX_SECTION_TEXT - len(title) - 1)
    ship = f"{tool.panel.ship_pct}% ship" if tool.panel.ship_pct is not None else "—"
    block = section(
        text,
        [
            field("Panel verdict", tool.panel.label),
            field("Panel ship", ship),
            field(COMMUNITY_LABEL, tool.community.label),
            field("Entry", tool.entry_price),
            field("Pricing", tool.pricing),
            field("Vendor", tool.vendor),
        ],
    )
    # Lets a click update this tool's community numbers without re-reading the card.
    block["block_id"] = f"{TOOL_BLOCK}{tool.tool_id}"
    return block


def _score(tool_name: str, line: ScoreLine | None) -> str:
    if line is None:
        return field(tool_name, "Not reviewed")
    return field(tool_name, f"{line.label}\n{line.excerpt}")


def compare_message(card: CompareCard) -> Message:
    """The comparison card, with Ship, Skip and Bookmark buttons for both tools."""
    a, b = card.first, card.second
    blocks = [
        *_compare_head(card.title, card.decision),
        _tool_section(a),
        _tool_section(b),
        *_compare_tail(a.tool_id, a.name, b.tool_id, b.name, card.rows, card.page_url),
    ]
    return {"text": fit(card.title, L.MAX_FALLBACK_TEXT), "blocks": blocks[: L.MAX_BLOCKS]}


@functools.lru_cache(maxsize=PART_CACHE)
def _compare_head(title: str, decision: str) -> tuple[Block, ...]:
    return header(title), section(fit(decision, L.MAX_SECTION_TEXT)), divider()


@functools.lru_cache(maxsize=PART_CACHE)
def _compare_tail(
    first_id: int,
    first_name: str,
    second_id: int,
    second_name: str,
    all_rows: tuple[ScorecardRow, ...],
    page_url: str,
) -> tuple[Block, ...]:
    blocks: list[Block] = [divider(), section(bold("Reviewer scorecard"))]
    room = L.MAX_BLOCKS - _COMPARE_FIXED_BLOCKS
    rows = all_rows if len(all_rows) <= room else all_rows[: room - 1]
    for row in rows:
        blocks.append(
            section(
                bold(fit(row.critic_name, 200)),
                [_score(first_name, row.first), _score(second_name, row.second)],
            )
        )
    if len(rows) < len(all_rows):
        blocks.append(context(escape(f"…and {len(all_rows) - len(rows)} more critics.")))
    blocks.append(
        context(
            "Vote with the buttons below; /vote and /bookmark work too.",
            *_page(page_url, "Open full comparison"),
        )
    )
    # Each button's value is <its tool>:<first>:<second>, so a click can redraw the pair.
    pair = f"{first_id}:{second_id}"
    blocks.append(_actions(first_id, first_name, f"{first_id}:{pair}"))
    blocks.append(_actions(second_id, second_name, f"{second_id}:{pair}"))
    return tuple(blocks)


def _page(url: str, label: str) -> tuple[str, ...]:
    """A context element linking to our page, when the card has one."""
    return (link(url, label, strong=True),) if url else ()


def tool_message(card: ToolCard) -> Message:
    blocks: list[Block] = [
        header(card.name),
        _tool_section(card),
        section(fit(card.description, L.MAX_SECTION_TEXT)) if card.description else divider(),
        section(bold("Reviewer scorecard")),
    ]
    room = L.MAX_BLOCKS - len(blocks) - 3  # "…more critics", page link, actions
    lines = card.scorecard[:room]
    blocks += [
        section(
            bold(fit(line.critic_name, 200)), [field("Review", f"{line.label}\n{line.excerpt}")]
        )
        for line in lines
    ]
    if len(lines) < len(card.scorecard):
        blocks.append(context(escape(f"…and {len(card.scorecard) - len(lines)} more critics.")))
    if card.page_url:
        blocks.append(context(*_page(card.page_url, "Open full page")))
    blocks.append(tool_actions(card, str(card.tool_id)))
    return {"text": fit(card.name, L.MAX_FALLBACK_TEXT), "blocks": blocks[: L.MAX_BLOCKS]}


def text_message(text: str) -> Message:
    """A short answer (vote, bookmark, notice) as one escaped section."""
    body = fit(text, L.MAX_SECTION_TEXT)
    return {"text": body, "blocks": [section(body)]}


def error_message(error: ErrorView) -> Message:
    body = fit(error.full_text, L.MAX_SECTION_TEXT - 2)
    return {"text": body, "blocks": [section(f":warning: {body}"[: L.MAX_SECTION_TEXT])]}


def bookmarks_message(view: BookmarkList) -> Message:
    if not view.items:
        text = f"{view.EMPTY_TITLE}. {view.EMPTY_HINT}"
        return text_message(text)
    blocks: list[Block] = [header("Your bookmarks")]
    room = L.MAX_BLOCKS - 2
    for item in view.items[:room]:
        title = bold(fit(item.tool_name, 200)) + " · " + fit(item.category, 200)
        blocks.append(
            section(
                title,
                [
                    field("Panel verdict", item.panel.label),
                    field("Community", item.community.label),
                    field("Your vote", item.your_vote or "none yet"),
                ],
            )
        )
    if len(view.items) > room:
        blocks.append(context(escape(f"…and {len(view.items) - room} more.")))
    return {"text": "Your bookmarks", "blocks": blocks}


def help_message(view: HelpView) -> Message:
    lines = [f"`{escape(e.usage)}` {escape(e.summary)}" for e in view.entries]
    return {
        "text": fit(view.title, L.MAX_FALLBACK_TEXT),
        "blocks": [header(view.title), section(fit("\n".join(lines), L.MAX_SECTION_TEXT))],
    }


def digest_message(post: DigestPost) -> Message:
    """The weekly digest post, trimmed to fit a single message."""
    blocks: list[Block] = [header(post.title)]
    if post.intro:
        blocks.append(section(fit(post.intro, L.MAX_SECTION_TEXT)))
    for part in post.sections:
        if len(blocks) >= L.MAX_BLOCKS - 2:
            break
        lines = [bold(fit(part.title, 200))]
        for item in part.items:
            name = link(item.url or "", plain(item.title, 200), strong=True)
            lines.append(f"• {name} — {fit(item.detail, 500)}")
        text = "\n".join(lines)
        if len(text) > L.MAX_SECTION_TEXT:
            text = text[: L.MAX_SECTION_TEXT]
            text = text[: text.rfind("\n")] if "\n" in text else text
        blocks.append(section(text))
    archive = link(post.archive_url, "Read the full digest")
    blocks.append(context(escape(post.week) + " · " + archive))
    return {"text": fit(post.title, L.MAX_FALLBACK_TEXT), "blocks": blocks[: L.MAX_BLOCKS]}


def render(reply: Reply) -> Message:
    """Any reply as a message."""
    match reply:
        case CompareCard():
            return compare_message(reply)
        case ToolCard():
            return tool_message(reply)
        case BookmarkList():
            return bookmarks_message(reply)
        case HelpView():
            return help_message(reply)
        case ErrorView():
            return error_message(reply)
        case _:
            return text_message(reply.message)


@functools.lru_cache(maxsize=256)
def card_message(card: CompareCard | ToolCard) -> Message:
    """A card's message, rendered once per (tools, counts): cards are frozen view models
    carrying their tallies. The result is shared, so nothing may change it (it is only
    serialized)."""
    return render(card)
