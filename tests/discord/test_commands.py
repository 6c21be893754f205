"""Every slash command through the real client and the fake gateway."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import ChannelSubscription, CompareRequest, Vote
from tests.discord.checks import (
    assert_no_pings,
    assert_within_limits,
    custom_ids,
    is_ephemeral,
    text_of,
)
from tests.discord.conftest import Bot
from tests.discord.fake_discord import CHANNEL_ID, GUILD_ID
from tests.discord.payloads import admin_slash, autocomplete, slash

LONGEST = "Humane AI Pin"


async def test_compare_posts_a_public_card_with_buttons(bot: Bot) -> None:
    """/compare answers in the channel: title, per-tool facts, scorecard, decision, buttons."""
    call = await bot.send(slash("compare", first="Claude 4 Sonnet", second="SmolVLM2 Turbo"))
    assert call.body["type"] == 4
    message = call.body["data"]
    assert not is_ephemeral(message)
    assert_no_pings(message)
    assert_within_limits(message)
    header, first, second, scorecard = message["embeds"]
    assert header["title"] == "Claude 4 Sonnet vs SmolVLM2 Turbo"
    assert "**Decision:**" in header["description"]
    facts = {f["name"]: f["value"] for f in first["fields"]}
    assert facts["Category"] == "Developer Tools"
    assert facts["Panel verdict"] == "Ship · 4 ship / 0 skip"
    assert facts["Panel ship"] == "100%"
    assert facts["Community"] == "No community votes yet"
    assert facts["Entry"] == "Free"
    assert "Claude Pro" in facts["Pricing"]
    assert first["description"].startswith("*500K context")
    assert second["title"] == "SmolVLM2 Turbo"
    assert [f["name"] for f in scorecard["fields"]] == ["Builder", "Skeptic", "Futurist", "Founder"]
    assert "84/100 · ship" in scorecard["fields"][0]["value"]
    ids = custom_ids(message)
    assert len(ids) == 6 and all(i.startswith("sos:") for i in ids)


async def test_compare_with_the_longest_tool_fits_every_limit(bot: Bot) -> None:
    """The catalog's longest review still yields a card within Discord's limits."""
    call = await bot.send(slash("compare", first=LONGEST, second="Claude 4 Sonnet"))
    assert_within_limits(call.body["data"])
    assert not is_ephemeral(call.body["data"])


async def test_compare_unknown_tool_is_a_private_clear_answer(bot: Bot) -> None:
    """An unknown name gets an ephemeral answer with suggestions, and the request is recorded."""
    call = await bot.send(slash("compare", first="Claude 4 Sonet", second="Nonexistent Gizmo"))
    message = call.body["data"]
    assert is_ephemeral(message)
    assert_no_pings(message)
    assert "No tool named" in message["content"]
    async with bot.runtime.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(CompareRequest)) == 1


async def test_compare_same_tool_twice_is_refused(bot: Bot) -> None:
    call = await bot.send(slash("compare", first="Claude 4 Sonnet", second="claude 4 sonnet"))
    assert is_ephemeral(call.body["data"])
    assert "Pick two different tools" in call.body["data"]["content"]


async def test_compare_with_a_missing_option_gets_a_clear_answer(bot: Bot) -> None:
    """A payload without a required option (stale client) is answered, not dropped."""
    call = await bot.send(slash("compare", first="Claude 4 Sonnet"))
    assert is_ephemeral(call.body["data"])
    assert "incomplete" in call.body["data"]["content"]


async def test_user_text_is_escaped_and_pings_nobody(bot: Bot) -> None:
    """Typed text echoed back cannot ping @everyone or render markdown."""
    call = await bot.send(slash("tool", tool="@everyone **boom**"))
    message = call.body["data"]
    assert_no_pings(message)
    assert "@everyone" not in message["content"]
    assert "\\*\\*boom\\*\\*" in message["content"]


async def test_autocomplete_answers_within_discords_limits(bot: Bot) -> None:
    call = await bot.send(autocomplete("compare", "second", first="Claude", second="s"))
    assert call.body["type"] == 8
    choices = call.body["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert all(0 < len(c["name"]) <= 100 and 0 < len(c["value"]) <= 100 for c in choices)
    empty = await bot.send(autocomplete("vote", "tool", tool=""))
    assert len(empty.body["data"]["choices"]) == 25


async def test_autocomplete_value_is_accepted_by_the_command(bot: Bot) -> None:
    """Choosing a suggestion sends its value (the slug); the command resolves it."""
    call = await bot.send(autocomplete("tool", "tool", tool="smolvlm"))
    value = call.body["data"]["choices"][0]["value"]
    card = await bot.send(slash("tool", tool=value))
    assert card.body["data"]["embeds"][0]["title"] == "SmolVLM2 Turbo"
    assert_within_limits(card.body["data"])


async def test_vote_counts_once_and_confirms_privately(bot: Bot) -> None:
    first = await bot.send(slash("vote", tool="SmolVLM2 Turbo", choice="ship"))
    assert is_ephemeral(first.body["data"])
    assert "Counted your ship vote" in first.body["data"]["content"]
    again = await bot.send(slash("vote", tool="SmolVLM2 Turbo", choice="skip"))
    assert "Changed your vote" in again.body["data"]["content"]
    async with bot.runtime.database.read() as session:
        votes = (await session.scalars(select(Vote))).all()
    assert [(v.platform, v.workspace, v.verdict) for v in votes] == [
        ("discord", str(GUILD_ID), "skip")
    ]


async def test_vote_with_an_invalid_choice_is_refused(bot: Bot) -> None:
    call = await bot.send(slash("vote", tool="SmolVLM2 Turbo", choice="maybe"))
    assert is_ephemeral(call.body["data"])
    async with bot.runtime.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Vote)) == 0


async def test_bookmark_and_bookmarks_are_personal(bot: Bot) -> None:
    saved = await bot.send(slash("bookmark", tool="SmolVLM2 Turbo"))
    assert is_ephemeral(saved.body["data"])
    assert "Bookmarked SmolVLM2 Turbo" in saved.body["data"]["content"]
    listing = await bot.send(slash("bookmarks"))
    assert is_ephemeral(listing.body["data"])
    assert listing.body["data"]["embeds"][0]["fields"][0]["name"] == "SmolVLM2 Turbo"
    other = await bot.send(slash("bookmarks", user_id="750000000000000999"))
    assert other.body["data"]["embeds"][0]["title"] == "No bookmarks yet"


async def test_tool_card_is_public_with_its_buttons(bot: Bot) -> None:
    call = await bot.send(slash("tool", tool=LONGEST))
    message = call.body["data"]
    assert not is_ephemeral(message)
    assert_within_limits(message)
    assert len(custom_ids(message)) == 3


async def test_help_lists_every_command_privately(bot: Bot) -> None:
    call = await bot.send(slash("help"))
    assert is_ephemeral(call.body["data"])
    text = text_of(call.body["data"])
    for name in ("/compare", "/vote", "/bookmark", "/bookmarks", "/tool", "/subscribe"):
        assert name in text


async def test_subscribe_without_email_setup_says_so(bot: Bot) -> None:
    """With no subscription flow configured the answer is clear and private."""
    call = await bot.send(slash("subscribe", email="ada@example.com"))
    assert is_ephemeral(call.body["data"])
    assert "not set up" in call.body["data"]["content"]


async def test_digest_needs_manage_server(bot: Bot) -> None:
    refused = await bot.send(slash("digest", where="here"))
    assert is_ephemeral(refused.body["data"])
    assert "admins" in refused.body["data"]["content"]
    accepted = await bot.send(admin_slash("digest", where="here"))
    assert "will get the weekly verdict digest" in accepted.body["data"]["content"]
    async with bot.runtime.database.read() as session:
        rows = (await session.scalars(select(ChannelSubscription))).all()
    assert [(r.platform, r.workspace, r.channel_id) for r in rows] == [
        ("discord", str(GUILD_ID), str(CHANNEL_ID))
    ]
    off = await bot.send(admin_slash("digest", where="off"))
    assert "no longer" in off.body["data"]["content"]


async def test_dm_uses_the_users_own_workspace(bot: Bot) -> None:
    user = "750000000000000042"
    call = await bot.send(
        slash("vote", tool="SmolVLM2 Turbo", choice="ship", user_id=user, guild_id=None)
    )
    assert "Counted" in call.body["data"]["content"]
    digest = await bot.send(slash("digest", where="here", user_id=user, guild_id=None))
    assert "server channels only" in digest.body["data"]["content"]
    async with bot.runtime.database.read() as session:
        vote = (await session.scalars(select(Vote))).one()
    assert (vote.workspace, vote.user_id) == (user, user)
