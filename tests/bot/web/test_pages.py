"""The public pages through the real app, checked against the demo catalog."""

from __future__ import annotations

import re
from html import unescape

from bot.bootstrap import DEMO_CATALOG
from bot.core.context import CommandContext
from bot.core.links import compare_path, compare_url, split_pair, tool_url
from bot.runner import Runtime
from db.catalog.reader import read_catalog
from db.models import ReviewVersion
from tests.bot.web.conftest import PUBLIC_URL, Client

PAIR = "/compare/claude-4-sonnet-vs-smolvlm2-turbo"


def _text(html: str) -> str:
    """The page as a reader sees it: tags out, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _catalog() -> dict[str, object]:
    return {tool.slug: tool for tool in read_catalog(DEMO_CATALOG).tools}


def test_links_put_the_pair_in_alphabetical_order() -> None:
    """One canonical URL per pair, whichever order it was asked in."""
    assert compare_url("https://x.example/", "b", "a") == "https://x.example/compare/a-vs-b"
    assert compare_path("a", "b") == compare_path("b", "a")
    assert tool_url("https://x.example", "cursor") == "https://x.example/tools/cursor"
    assert split_pair("vs-x-vs-y", {"vs-x", "y"}) == ("vs-x", "y")


async def test_comparison_shows_the_seed_page_facts_in_order(client: Client) -> None:
    """Heading, intro, both tools' facts, decision table, scorecard, sign-up, bookmarks."""
    response = await client.get(PAIR)
    assert response.status == 200
    text = _text(await response.text())
    tools = _catalog()
    claude, smol = tools["claude-4-sonnet"], tools["smolvlm2-turbo"]
    order = [
        "AI tool comparison",
        "Claude 4 Sonnet vs SmolVLM2 Turbo",
        "Which one should you ship with?",
        claude.category,  # type: ignore[attr-defined]
        claude.best_for,  # type: ignore[attr-defined]
        "100%",
        "No votes yet",
        claude.entry_price,  # type: ignore[attr-defined]
        " ".join(claude.description.split())[:60],  # type: ignore[attr-defined]
        smol.best_for,  # type: ignore[attr-defined]
        "Decision",
        "Panel verdict Ship · 4 ship / 0 skip Ship · 4 ship / 0 skip",
        "Community No community votes yet No community votes yet",
        f"Pricing {claude.pricing} {smol.pricing}",  # type: ignore[attr-defined]
        "Reviewer scorecard",
        "Builder",
        "Skeptic",
        "Futurist",
        "Founder",
        "Get the next comparison in your inbox",
        "Bookmarks",
        "No bookmarks yet",
    ]
    at = 0
    for fact in order:
        found = text.find(fact, at)
        assert found >= 0, f"{fact!r} missing or out of order"
        at = found
    for review in claude.reviews.values():  # type: ignore[attr-defined]
        assert f"{review.score}/100 · {review.verdict}" in text
    assert "Sign in to vote" in text
    assert 'action="/subscribe"' in await response.text()


async def test_the_other_order_answers_301_to_the_canonical_url(client: Client) -> None:
    response = await client.get("/compare/smolvlm2-turbo-vs-claude-4-sonnet", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == PAIR


async def test_comparison_shows_live_community_numbers(client: Client, runtime: Runtime) -> None:
    """A vote cast in chat shows on the next page view."""
    ctx = CommandContext("slack", "T1", "U1")
    await runtime.service.vote(ctx, "claude-4-sonnet", "skip")
    text = _text(await (await client.get(PAIR)).text())
    assert "0% ship · 1 vote (0 ship / 1 skip)" in text


async def test_tool_page_has_reviews_history_and_partners(client: Client, runtime: Runtime) -> None:
    """Full reviews, verdict history from review versions, most-compared tools with decisions."""
    ctx = CommandContext("discord", "G1", "U1")
    for _ in range(2):
        await runtime.service.compare(ctx, "Cursor", "GitHub Copilot")
    await runtime.service.compare(ctx, "Cursor", "Replit Agent")
    index = runtime.service.index
    cursor = index.by_slug["cursor"]
    async with runtime.database.write() as session:
        critic_id = 1
        from datetime import date

        session.add(
            ReviewVersion(
                tool_id=cursor.id,
                critic_id=critic_id,
                score=41,
                verdict="skip",
                text="Old take",
                reviewed=date(2024, 5, 1),
            )
        )
    html = await (await client.get("/tools/cursor")).text()
    text = _text(html)
    tool = _catalog()["cursor"]
    assert "<h1>Cursor</h1>" in html
    for review in tool.reviews.values():  # type: ignore[attr-defined]
        assert " ".join(review.text.split()) in text
    assert "was 41/100 · skip" in text
    partners = text[text.index("Most often compared with") :]
    assert partners.index("Cursor vs GitHub Copilot") < partners.index("Cursor vs Replit Agent")
    assert "asked 2 times" in partners
    assert 'href="/compare/cursor-vs-github-copilot"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html and "/tools/cursor.atom" in html


async def test_home_searches_ranks_pairs_and_offers_sign_up(
    client: Client, runtime: Runtime
) -> None:
    ctx = CommandContext("slack", "T1", "U1")
    await runtime.service.compare(ctx, "ChatGPT", "Claude")
    html = await (await client.get("/", params={"q": "cursr"})).text()
    assert 'href="/tools/cursor"' in html
    top = html[html.index("Most compared this week") :]
    assert "ChatGPT vs Claude" in _text(top) or "Claude vs ChatGPT" in _text(top)
    assert 'action="/subscribe"' in html and '<label for="signup-email">' in html


async def test_unknown_slug_is_a_404_page_with_the_closest_tools(client: Client) -> None:
    response = await client.get("/tools/cursur")
    assert response.status == 404
    assert response.content_type == "text/html"
    assert 'href="/tools/cursor"' in await response.text()
    unknown_pair = await client.get("/compare/cursor-vs-copilto")
    assert unknown_pair.status == 404
    assert (await client.get("/no/such/page")).status == 404


async def test_every_page_has_open_graph_and_twitter_meta(client: Client) -> None:
    for path in ("/", PAIR, "/tools/cursor", "/tools/nope"):
        html = await (await client.get(path)).text()
        for meta in ('property="og:title"', 'property="og:url"', 'name="twitter:card"'):
            assert meta in html, (path, meta)
    compare = await (await client.get(PAIR)).text()
    image = re.search(r'property="og:image" content="([^"]+)"', compare)
    assert image and image[1].startswith(
        f"{PUBLIC_URL}/og/compare/claude-4-sonnet-vs-smolvlm2-turbo.png?v="
    )
    assert 'content="summary_large_image"' in compare


async def test_a_cached_page_carries_each_visitors_own_form_token(client: Client) -> None:
    """Signed-out pages are rendered once, but the sign-up token is the visitor's own."""
    first = await (await client.get(PAIR)).text()
    client.session.cookie_jar.clear()
    second = await (await client.get(PAIR)).text()
    tokens = [
        re.search(r'action="/subscribe".*?name="csrf" value="([^"]+)"', page, re.S)
        for page in (first, second)
    ]
    assert tokens[0] and tokens[1] and tokens[0][1] != tokens[1][1]
    assert "\x00" not in first + second
