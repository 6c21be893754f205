"""Sign-up with double opt-in, one-click unsubscribe and the archive, over real HTTP and SMTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import ErrorView, NoticeView
from db.digest_models import Subscriber
from db.engine import Database
from digest.issues import ensure_issue
from digest.pipeline import DigestDeps
from digest.tokens import Tokens
from digest.web import CSRF_COOKIE, install_routes
from tests.digest.conftest import POSTAL_ADDRESS, PUBLIC_URL, WEEK, seed_week
from tests.digest.smtp_sink import SmtpSink


@pytest.fixture
async def client(deps: DigestDeps) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    install_routes(app, deps)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def _status(database: Database, email: str) -> str | None:
    async with database.read() as session:
        return await session.scalar(select(Subscriber.status).where(Subscriber.email == email))


def _path(url: str) -> str:
    assert url.startswith(PUBLIC_URL)
    return url.removeprefix(PUBLIC_URL)


async def _subscribe(client: TestClient[web.Request, web.Application], email: str) -> int:
    form_page = await client.get("/subscribe")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await form_page.text())
    assert csrf
    # The cookie is Secure (PUBLIC_URL is https); this test server speaks plain HTTP.
    cookie = form_page.cookies[CSRF_COOKIE]
    assert cookie["secure"] and cookie["samesite"] == "Strict"
    response = await client.post(
        "/subscribe",
        data={"email": email, "csrf": csrf[1]},
        headers={"Cookie": f"{CSRF_COOKIE}={cookie.value}"},
    )
    return response.status


async def confirm_by_button(client: TestClient[web.Request, web.Application], path: str) -> int:
    """What a person does: open the link, then press the button on the page."""
    shown = await client.get(path)
    assert shown.status == 200, await shown.text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', await shown.text())
    assert csrf
    cookie = shown.cookies[CSRF_COOKIE]
    response = await client.post(
        path, data={"csrf": csrf[1]}, headers={"Cookie": f"{CSRF_COOKIE}={cookie.value}"}
    )
    return response.status


async def _link_key(database: Database, email: str) -> str:
    async with database.read() as session:
        key = await session.scalar(select(Subscriber.link_key).where(Subscriber.email == email))
    assert key is not None
    return key


async def test_web_sign_up_confirms_by_the_emailed_link(
    client: TestClient[web.Request, web.Application], deps: DigestDeps, sink: SmtpSink
) -> None:
    """The form stores a pending address, mails a link, and the link confirms it."""
    assert await _subscribe(client, "  Ada@Example.COM ") == 200
    assert await _status(deps.database, "ada@example.com") == "pending"
    await sink.wait_for(1)
    confirmation = sink.messages[0].parsed()
    assert confirmation["To"] == "ada@example.com"
    link = re.search(r"https://\S+/confirm/\S+", confirmation.get_body(("plain",)).get_content())
    assert link
    assert "ada" not in link[0], "the link must not carry the address"
    # The HTML part is the designed one: same masthead and footer as the digest.
    designed = confirmation.get_body(("html",)).get_content()
    assert "sos-mast" in designed and 'name="color-scheme"' in designed
    assert POSTAL_ADDRESS in designed and "Confirm my subscription" in designed
    shown = await client.get(_path(link[0]))
    assert _leads_home_and_to_the_archive(await shown.text())
    assert await confirm_by_button(client, _path(link[0])) == 200
    assert await _status(deps.database, "ada@example.com") == "confirmed"


def _leads_home_and_to_the_archive(page: str) -> bool:
    return f'href="{PUBLIC_URL}/"' in page and f'href="{PUBLIC_URL}/digests"' in page


async def test_the_same_address_twice_is_one_subscriber(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    """Case and spacing differences collapse to one row."""
    assert await _subscribe(client, "bob@example.com") == 200
    assert await _subscribe(client, "BOB@example.com ") == 200
    async with deps.database.read() as session:
        assert await session.scalar(select(func.count(Subscriber.id))) == 1


async def test_a_post_without_the_forms_token_is_refused(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    """CSRF: a cross-site POST (no cookie, forged token) stores nothing."""
    response = await client.post("/subscribe", data={"email": "eve@example.com", "csrf": "x.y"})
    assert response.status == 403
    assert await _status(deps.database, "eve@example.com") is None


async def test_a_bad_address_gets_a_clear_answer(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    assert await _subscribe(client, "not an address") == 400
    async with deps.database.read() as session:
        assert await session.scalar(select(func.count(Subscriber.id))) == 0


async def test_expired_and_tampered_confirmation_links_change_nothing(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    """An old link says it expired; an altered one is a 400; the address stays pending."""
    assert await _subscribe(client, "cy@example.com") == 200
    key = await _link_key(deps.database, "cy@example.com")
    token = deps.tokens.confirm_token(key)
    tampered = await client.get(f"/confirm/{token[:-2]}xx")
    assert tampered.status == 400 and "not valid" in await tampered.text()
    other_key = Tokens(["another-secret"]).confirm_token(key)
    assert (await client.get(f"/confirm/{other_key}")).status == 400
    deps.tokens.confirm_max_age_s = -1
    expired = await client.get(f"/confirm/{token}")
    assert expired.status == 400 and "expired" in await expired.text()
    assert await _status(deps.database, "cy@example.com") == "pending"


async def _confirmed(database: Database, email: str) -> str:
    """A confirmed subscriber; returns the link key its digest links carry."""
    async with database.write() as session:
        subscriber = Subscriber(email=email, status="confirmed", source="test")
        session.add(subscriber)
        await session.flush()
        return subscriber.link_key


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_one_click_post_unsubscribes_at_once(
    client: TestClient[web.Request, web.Application], deps: DigestDeps, encoding: str
) -> None:
    """RFC 8058: the POST body in either encoding unsubscribes; no cookie, no redirect."""
    link_key = await _confirmed(deps.database, "dee@example.com")
    path = _path(deps.unsubscribe_url(link_key))
    if encoding == "urlencoded":
        body: object = {"List-Unsubscribe": "One-Click"}
    else:
        form = aiohttp.FormData()
        form.add_field("List-Unsubscribe", "One-Click")
        form._is_multipart = True
        body = form
    response = await client.post(path, data=body, allow_redirects=False)
    assert response.status == 200
    assert "Set-Cookie" not in response.headers
    assert await _status(deps.database, "dee@example.com") == "unsubscribed"


async def test_get_on_the_unsubscribe_link_only_asks(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    """Mail scanners fetch links: GET shows a confirm button and changes nothing."""
    link_key = await _confirmed(deps.database, "eli@example.com")
    response = await client.get(_path(deps.unsubscribe_url(link_key)))
    assert response.status == 200
    page = await response.text()
    assert 'method="post"' in page and "eli@example.com" in page
    assert await _status(deps.database, "eli@example.com") == "confirmed"
    done = await client.post(
        _path(deps.unsubscribe_url(link_key)), data={"List-Unsubscribe": "One-Click"}
    )
    assert _leads_home_and_to_the_archive(await done.text())
    assert _leads_home_and_to_the_archive(page)


async def test_a_tampered_unsubscribe_token_is_a_400(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    link_key = await _confirmed(deps.database, "fay@example.com")
    forged = Tokens(["another-secret"]).unsubscribe_token(link_key)
    response = await client.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"})
    assert response.status == 400
    assert await _status(deps.database, "fay@example.com") == "confirmed"


async def test_the_archive_lists_and_shows_issues(
    client: TestClient[web.Request, web.Application], deps: DigestDeps
) -> None:
    """/digests lists the week; /digests/<week> is the email without personal parts."""
    await seed_week(deps.database)
    await ensure_issue(deps.database, WEEK)
    index = await client.get("/digests")
    assert index.status == 200 and WEEK.label in await index.text()
    issue = await client.get(f"/digests/{WEEK.label}")
    html = await issue.text()
    assert issue.status == 200 and ">New verdicts</h2>" in html and "Unsubscribe" not in html
    assert POSTAL_ADDRESS in html and "Forwarded this?" in html
    assert (await client.get("/digests/2026-W02")).status == 404
    assert (await client.get("/digests/latest")).status == 404


async def test_subscribe_from_chat_goes_through_the_core(deps: DigestDeps, sink: SmtpSink) -> None:
    """CommandService.subscribe uses the digest's Subscriptions and mails a confirmation."""
    service = CommandService(deps.database, subscriptions=deps.subscriptions())
    ctx = CommandContext("discord", "g1", "u1", "Ada")
    answer = await service.subscribe(ctx, "gil@example.com")
    assert isinstance(answer, NoticeView) and "gil@example.com" in answer.message
    await sink.wait_for(1)
    bad = await service.subscribe(ctx, "gil@@example")
    assert isinstance(bad, ErrorView) and bad.code == "usage"
