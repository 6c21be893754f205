"""App Home: the user's bookmarks, votes, this week's most compared tools, the digest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.core.views import BookmarkList
from bot.slack_bot import home_data
from bot.slack_bot import limits as L
from bot.slack_bot.blocks import Block, context, divider, header, section
from bot.slack_bot.mrkdwn import bold, escape, fit, link

if TYPE_CHECKING:
    from bot.core.context import CommandContext
    from bot.slack_bot.app import SlackFrontEnd

MAX_HOME_BOOKMARKS = 20


def _lines(lines: list[str], empty: str) -> str:
    text = "\n".join(lines) if lines else escape(empty)
    if len(text) > L.MAX_SECTION_TEXT:
        text = text[: text.rfind("\n", 0, L.MAX_SECTION_TEXT)]
    return text


def home_view(
    saved: BookmarkList,
    votes: list[home_data.VoteLine],
    trends: list[home_data.TrendLine],
    digest: home_data.DigestLine | None,
    archive_url: str,
) -> dict[str, Any]:
    marks = [
        f"• {bold(fit(i.tool_name, 150))}: {escape(i.panel.label)} · community "
        f"{escape(i.community.label)} · your vote: {escape(i.your_vote or 'none')}"
        for i in saved.items[:MAX_HOME_BOOKMARKS]
    ]
    if len(saved.items) > MAX_HOME_BOOKMARKS:
        marks.append(escape(f"…and {len(saved.items) - MAX_HOME_BOOKMARKS} more (/bookmarks)."))
    blocks: list[Block] = [
        header("Ship or Skip"),
        section(bold("Your bookmarks")),
        section(_lines(marks, f"{saved.EMPTY_TITLE}. {saved.EMPTY_HINT}")),
        divider(),
        section(bold("Your votes")),
        section(
            _lines(
                [f"• {bold(fit(v.tool_name, 150))}: {escape(v.verdict)}" for v in votes],
                "No votes yet. Vote with /vote <tool> ship|skip or the buttons on a card.",
            )
        ),
        divider(),
        section(bold("Most compared this week")),
        section(
            _lines(
                [f"• {bold(fit(t.tool_name, 150))}: {t.requests}× compared" for t in trends],
                "No comparisons this week yet. Try /compare <tool> vs <tool>.",
            )
        ),
        divider(),
        section(bold("Latest digest")),
    ]
    if digest is None:
        blocks.append(section(escape("None yet: the first weekly digest is still to come.")))
    else:
        blocks.append(section(escape(f"{digest.week}: ") + fit(digest.subject, 1000)))
        blocks.append(context(link(f"{archive_url}/{digest.week}", "Read it")))
    return {"type": "home", "blocks": blocks}


async def build_home(front: SlackFrontEnd, ctx: CommandContext) -> dict[str, Any]:
    saved = await front.service.bookmarks(ctx)
    if not isinstance(saved, BookmarkList):
        saved = BookmarkList(())
    votes = await home_data.recent_votes(front.database, ctx.voter)
    trends = await home_data.most_compared(front.database)
    try:
        digest = await home_data.newest_digest(front.database)
    except SQLAlchemyError:
        # The digest table exists only once its migration ran.
        digest = None
    return home_view(saved, votes, trends, digest, front.config.public_url + "/digests")
