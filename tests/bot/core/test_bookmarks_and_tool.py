"""bookmark, bookmarks, tool and help."""

from __future__ import annotations

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import BookmarkList, BookmarkResult, ErrorView, HelpView, ToolCard


async def test_bookmark_toggles_and_lists_with_verdicts(service: CommandService, ctx):
    """Bookmarking twice removes it; the list shows current verdicts and the user's vote."""
    empty = await service.bookmarks(ctx)
    assert isinstance(empty, BookmarkList) and empty.items == ()
    saved = await service.bookmark(ctx, "humane ai pin")
    assert isinstance(saved, BookmarkResult) and saved.saved
    await service.bookmark(ctx, "cursor")
    await service.vote(ctx, "cursor", "skip")
    listing = await service.bookmarks(ctx)
    assert isinstance(listing, BookmarkList)
    assert [i.tool_slug for i in listing.items] == ["humane-ai-pin", "cursor"]
    pin, cursor = listing.items
    assert pin.panel.verdict == "skip" and pin.your_vote is None
    assert cursor.your_vote == "skip" and cursor.community.total == 1
    removed = await service.bookmark(ctx, "Humane AI Pin")
    assert isinstance(removed, BookmarkResult) and not removed.saved
    other = await service.bookmarks(CommandContext("console", "w1", "someone-else"))
    assert isinstance(other, BookmarkList) and other.items == ()


async def test_tool_card_has_every_critic(service: CommandService, ctx):
    card = await service.tool(ctx, "smolvlm2")
    assert isinstance(card, ToolCard)
    assert card.name == "SmolVLM2 Turbo" and card.vendor == "Hugging Face"
    assert [line.critic_name for line in card.scorecard] == [
        "Builder",
        "Skeptic",
        "Futurist",
        "Founder",
    ]
    assert all(len(line.excerpt) <= 240 for line in card.scorecard)


async def test_text_commands_cover_every_command(service: CommandService, ctx):
    assert isinstance(await service.run(ctx, "/help"), HelpView)
    assert isinstance(await service.run(ctx, "tool cursor"), ToolCard)
    assert isinstance(await service.run(ctx, "/bookmark cursor"), BookmarkResult)
    assert isinstance(await service.run(ctx, "/bookmarks"), BookmarkList)
    unknown = await service.run(ctx, "/frobnicate now")
    assert isinstance(unknown, ErrorView) and unknown.code == "unknown_command"
    missing = await service.run(ctx, "/tool")
    assert isinstance(missing, ErrorView) and missing.usage == "/tool <tool>"


async def test_subscribe_without_email_setup_says_so(service: CommandService, ctx):
    reply = await service.run(ctx, "/subscribe someone@example.com")
    assert isinstance(reply, ErrorView) and reply.code == "unavailable"


async def test_digest_channel_opt_in_is_admin_only(service: CommandService, ctx):
    denied = await service.digest_channel(ctx, "C1", enable=True, is_admin=False)
    assert isinstance(denied, ErrorView)
    first = await service.digest_channel(ctx, "C1", enable=True, is_admin=True)
    again = await service.digest_channel(ctx, "C1", enable=True, is_admin=True)
    off = await service.digest_channel(ctx, "C1", enable=False, is_admin=True)
    assert "will get" in first.message  # type: ignore[union-attr]
    assert "already" in again.message  # type: ignore[union-attr]
    assert "no longer" in off.message  # type: ignore[union-attr]
