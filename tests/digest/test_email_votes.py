"""Ship/Skip links in the digest and "Your tools this week", end to end.

The issue goes out through the real SMTP sink; the links in the received HTML are then
followed on the real web app (GET shows a button, POST with the form's token votes).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from html import unescape

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape
from sqlalchemy import select, text

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import BookmarkResult, ToolCard, VoteResult
from db.models import Tool
from digest.pipeline import DigestDeps, send_week
from digest.web import CSRF_COOKIE, install_routes
from tests.digest.conftest import EVIL_NAME, PUBLIC_URL, WEEK, seed_week
from tests.digest.smtp_sink import SmtpSink

Client = TestClient[web.Request, web.Application]
CHAT = CommandContext("discord", "g1", "4242", "Ada")
WEB_READER = "bo@example.com"
CHAT_READER = "ada@example.com"


@pytest.fixture
def service(deps: DigestDeps) -> CommandService:
    return CommandService(deps.database, subscriptions=deps.subscriptions())


@pytest.fixture
async def client(deps: DigestDeps, service: CommandService) -> AsyncIterator[Client]:
    app = web.Application()
    install_routes(app, deps, service)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def _confirm(deps: DigestDeps, address: str) -> None:
    async with deps.database.read() as session:
        key = await session.scalar(
            text("SELECT link_key FROM subscribers WHERE email = :e"), {"e": address}
        )
    assert await deps.subscriptions().confirm(deps.tokens.confirm_token(str(key))) == address


async def _slug_ids(deps: DigestDeps) -> dict[str, int]:
    async with deps.database.read() as session:
        return {t.slug: t.id for t in (await session.scalars(select(Tool))).all()}


async def _send(
    deps: DigestDeps, sink: SmtpSink, service: CommandService
) -> dict[str, EmailMessage]:
    """Ada subscribed from chat and bookmarked two tools there; Bo signed up on the web."""
    await seed_week(deps.database)
    assert not isinstance(await service.subscribe(CHAT, CHAT_READER), type(None))
    await deps.subscriptions().request(WEB_READER, source="web")
    await sink.wait_for(2)
    await _confirm(deps, CHAT_READER)
    await _confirm(deps, WEB_READER)
    # The first two tools: voted on this week, and one has a name full of markup.
    for tool_id in sorted((await _slug_ids(deps)).values())[:2]:
        assert isinstance(await service.bookmark_by_id(CHAT, tool_id), BookmarkResult)
    before = len(sink.messages)
    _, summary = await send_week(deps, WEEK)
    assert summary.sent == 2, summary
    return {m.recipients[0]: m.parsed() for m in sink.messages[before:]}


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert body is not None
    return str(body.get_content())


def _vote_links(html: str) -> dict[str, str]:
    """Link text ("Ship it", "Skip") by URL path, for every vote link in the HTML."""
    found = re.findall(r'<a href="(https://sos\.example/vote/[^"]+)"[^>]*>(S[hk]ip)', html)
    return {unescape(url).removeprefix(PUBLIC_URL): label for url, label in found}


async def _follow(client: Client, path: str) -> tuple[int, str]:
    """GET the page, then press its one button; (status, page text)."""
    page = await client.get(path)
    assert page.status == 200
    html = await page.text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    assert csrf is not None
    # The cookie is Secure (PUBLIC_URL is https) and the test server plain http: pass it on.
    cookie = page.cookies[CSRF_COOKIE]
    answer = await client.post(
        path, data={"csrf": csrf.group(1)}, headers={"Cookie": f"{CSRF_COOKIE}={cookie.value}"}
    )
    return answer.status, await answer.text()


async def _card(service: CommandService, deps: DigestDeps, slug: str) -> ToolCard:
    card = await service.tool_by_id((await _slug_ids(deps))[slug])
    assert isinstance(card, ToolCard)
    return card


def _slug_of(path: str) -> str:
    return path.split(".")[2]


async def test_a_vote_from_the_email_counts_once_and_can_be_changed(
    deps: DigestDeps, sink: SmtpSink, service: CommandService, client: Client
) -> None:
    mails = await _send(deps, sink, service)
    links = _vote_links(_part(mails[WEB_READER], "html"))
    assert links and set(links.values()) == {"Ship", "Skip"}
    ship = next(p for p, label in links.items() if label == "Ship")
    slug = _slug_of(ship)
    skip = next(p for p, label in links.items() if label == "Skip" and _slug_of(p) == slug)
    # Bo's links are his own: Ada's copy carries different tokens for the same tools.
    assert not set(links) & set(_vote_links(_part(mails[CHAT_READER], "html")))
    # The plain-text part carries the same links for the new verdicts.
    assert any(path in _part(mails[WEB_READER], "plain") for path in links)
    before = (await _card(service, deps, slug)).community

    # Mail scanners fetch links: GET and HEAD never vote.
    assert (await client.head(ship)).status == 200
    assert (await client.get(ship)).status == 200
    assert (await _card(service, deps, slug)).community == before

    status, page = await _follow(client, ship)
    assert status == 200 and "Counted your ship vote" in page
    after = (await _card(service, deps, slug)).community
    assert (after.ship, after.skip) == (before.ship + 1, before.skip)
    assert f"<strong>{after.ship}</strong> ship" in page  # the live numbers
    assert f'href="{PUBLIC_URL}/tools/{slug}?' in page  # and on to the tool's page

    status, page = await _follow(client, ship)
    assert status == 200 and "nothing changed" in page
    status, page = await _follow(client, skip)
    assert status == 200 and "Changed your vote" in page
    changed = (await _card(service, deps, slug)).community
    assert (changed.ship, changed.skip) == (before.ship, before.skip + 1)


async def test_forged_and_ended_links_change_nothing(
    deps: DigestDeps, sink: SmtpSink, service: CommandService, client: Client
) -> None:
    mails = await _send(deps, sink, service)
    ship = next(iter(_vote_links(_part(mails[WEB_READER], "html"))))
    slug = _slug_of(ship)
    before = (await _card(service, deps, slug)).community
    # Another tool's name under the same signature, and a token signed with another key.
    other = next(s for s in await _slug_ids(deps) if s != slug)
    forged = ship.replace(f".{slug}.", f".{other}.")
    assert (await client.get(forged)).status == 400
    assert (await client.post(forged, data={"csrf": "x"})).status == 403
    stranger = deps.vote_tokens.__class__(["another-secret"])
    key = ship.split("/")[-1].split(".")[1]
    foreign = f"/vote/{stranger.token(key, slug, 'ship')}"
    page = await client.get(foreign)
    assert page.status == 400 and "not valid" in await page.text()
    # Unsubscribed: the link no longer votes.
    await deps.subscriptions().unsubscribe(deps.tokens.unsubscribe_token(key))
    assert (await client.get(ship)).status == 404
    assert (await _card(service, deps, slug)).community == before


async def test_a_chat_subscriber_votes_as_their_chat_person(
    deps: DigestDeps, sink: SmtpSink, service: CommandService, client: Client
) -> None:
    mails = await _send(deps, sink, service)
    links = _vote_links(_part(mails[CHAT_READER], "html"))
    skip = next(p for p, label in links.items() if label == "Skip")
    slug = _slug_of(skip)
    tool_id = (await _slug_ids(deps))[slug]
    voted = await service.vote_by_id(CHAT, tool_id, "ship")
    assert isinstance(voted, VoteResult)
    before = voted.community
    status, page = await _follow(client, skip)
    # The same person: the chat vote is changed in place, not joined by a second one.
    assert status == 200 and "Changed your vote" in page
    after = (await _card(service, deps, slug)).community
    assert (after.ship, after.skip) == (before.ship - 1, before.skip + 1)
    async with deps.database.read() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM votes v JOIN identities i ON i.person_id = v.person_id "
                "WHERE i.kind = 'discord' AND i.key = '4242' AND v.tool_id = :t"
            ),
            {"t": tool_id},
        )
    assert count == 1


async def test_the_personal_block_goes_only_to_readers_with_bookmarks(
    deps: DigestDeps, sink: SmtpSink, service: CommandService
) -> None:
    mails = await _send(deps, sink, service)
    async with deps.database.read() as session:
        names = [t.name for t in (await session.scalars(select(Tool).order_by(Tool.id))).all()[:2]]
    with_block, without = mails[CHAT_READER], mails[WEB_READER]
    for kind in ("html", "plain"):
        assert "our tools this week".upper() in _part(with_block, kind).upper()
        assert "our tools this week".upper() not in _part(without, kind).upper()
    block_html = _part(with_block, "html")
    block_html = block_html[block_html.index("Your tools this week") :]
    block_html = block_html[: block_html.index("</table>")]
    assert EVIL_NAME in names and "<script>" not in block_html  # escaped like the rest
    for name in names:
        assert escape(name) in block_html
    block_text = _part(with_block, "plain")
    block_text = block_text[block_text.index("YOUR TOOLS THIS WEEK") :].split("\n\n")[0]
    assert all(name in block_text for name in names)
    assert block_text.count("% ship") == 2  # each tool's community share, as of now
