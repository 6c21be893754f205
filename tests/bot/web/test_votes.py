"""A vote or bookmark on the page is the same person's chat vote, and the other way round."""

from __future__ import annotations

from bot.core.context import CommandContext
from bot.core.views import CompareCard, VoteResult
from bot.discord_bot.embeds import compare_specs
from bot.runner import Runtime
from tests.bot.web.conftest import Client, csrf_of, sign_in
from tests.bot.web.fake_oauth import FakeOAuth

PAIR = "/compare/claude-4-sonnet-vs-smolvlm2-turbo"


def _community(card: CompareCard, tool: str) -> str:
    for spec in compare_specs(card):
        fields = {f.name: f.value for f in spec.fields}
        if tool in spec.title and "Community" in fields:
            return fields["Community"]
    raise AssertionError(f"no embed for {tool}")


async def _card(runtime: Runtime) -> CompareCard:
    index = runtime.service.index
    await index.refresh(runtime.database)
    card = await runtime.service.compare_by_id(
        index.by_slug["claude-4-sonnet"].id, index.by_slug["smolvlm2-turbo"].id
    )
    assert isinstance(card, CompareCard)
    return card


async def test_signed_out_visitors_cannot_vote(client: Client, runtime: Runtime) -> None:
    response = await client.post("/vote", data={"tool": "1", "verdict": "ship", "csrf": "x"})
    assert response.status == 403
    assert "Sign in" in await response.text()
    card = await _card(runtime)
    assert card.first.community.total == card.second.community.total == 0


async def test_a_page_vote_shows_on_the_discord_card_and_in_vote_answers(
    client: Client, runtime: Runtime, oauth: FakeOAuth
) -> None:
    """Signed in with Discord; the DM-context chat vote is the same vote, changed in place."""
    await sign_in(client, oauth, "discord", PAIR)
    html = await (await client.get(PAIR)).text()
    tool_id = runtime.service.index.by_slug["claude-4-sonnet"].id
    voted = await client.post(
        "/vote",
        data={"tool": str(tool_id), "verdict": "ship", "csrf": csrf_of(html), "next": PAIR},
        allow_redirects=False,
    )
    assert voted.status == 303 and voted.headers["Location"] == PAIR
    page = await (await client.get(PAIR)).text()
    assert "Counted your ship vote for Claude 4 Sonnet." in page
    assert "100% ship · 1 vote (1 ship / 0 skip)" in page
    assert (
        _community(await _card(runtime), "Claude 4 Sonnet")
        == "100% ship · 1 vote (1 ship / 0 skip)"
    )
    # The same person in a Discord DM: /vote changes that vote instead of adding one.
    dm = CommandContext("discord", oauth.discord_user["id"], oauth.discord_user["id"], "Ada")
    again = await runtime.service.vote(dm, "Claude 4 Sonnet", "skip")
    assert isinstance(again, VoteResult)
    assert again.outcome == "changed"
    assert again.community.total == 1


async def test_a_chat_vote_shows_on_the_page(
    client: Client, runtime: Runtime, oauth: FakeOAuth
) -> None:
    """Slack /vote first; the page signed in with Slack changes that vote in place."""
    ctx = CommandContext("slack", oauth.slack_user["team"], oauth.slack_user["user"])
    await runtime.service.vote(ctx, "SmolVLM2 Turbo", "skip")
    await sign_in(client, oauth, "slack", PAIR)
    html = await (await client.get(PAIR)).text()
    assert "0% ship · 1 vote (0 ship / 1 skip)" in html
    tool_id = runtime.service.index.by_slug["smolvlm2-turbo"].id
    await client.post(
        "/vote",
        data={"tool": str(tool_id), "verdict": "ship", "csrf": csrf_of(html), "next": PAIR},
        allow_redirects=False,
    )
    page = await (await client.get(PAIR)).text()
    assert "Changed your vote on SmolVLM2 Turbo to ship." in page
    assert "100% ship · 1 vote (1 ship / 0 skip)" in page
    assert (
        _community(await _card(runtime), "SmolVLM2 Turbo") == "100% ship · 1 vote (1 ship / 0 skip)"
    )


async def test_a_page_bookmark_is_the_chat_bookmark(
    client: Client, runtime: Runtime, oauth: FakeOAuth
) -> None:
    await sign_in(client, oauth, "slack", PAIR)
    html = await (await client.get(PAIR)).text()
    tool_id = runtime.service.index.by_slug["claude-4-sonnet"].id
    await client.post("/bookmark", data={"tool": str(tool_id), "csrf": csrf_of(html), "next": PAIR})
    ctx = CommandContext("slack", oauth.slack_user["team"], oauth.slack_user["user"])
    saved = await runtime.service.bookmarks(ctx)
    assert [item.tool_slug for item in saved.items] == ["claude-4-sonnet"]
    page = await (await client.get(PAIR)).text()
    assert 'href="/tools/claude-4-sonnet">Claude 4 Sonnet</a> <span class="muted">' in page


async def test_a_vote_without_the_form_token_is_refused(
    client: Client, runtime: Runtime, oauth: FakeOAuth
) -> None:
    await sign_in(client, oauth, "discord", PAIR)
    await runtime.service.index.refresh(runtime.database)
    tool_id = runtime.service.index.by_slug["claude-4-sonnet"].id
    response = await client.post("/vote", data={"tool": str(tool_id), "verdict": "ship"})
    assert response.status == 403
    card = await _card(runtime)
    assert card.first.community.total == 0
