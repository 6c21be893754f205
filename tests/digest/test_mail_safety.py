"""Attacks on the sign-up flow: mail bombs, link scanners, replayed forms, old links.

Every test plays the attacker over the real routes and the real SMTP sink, on both
databases, and counts what actually lands.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from ipaddress import ip_address

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import ErrorView, NoticeView
from db.digest_models import SendThrottle, Subscriber
from db.engine import Database
from digest.pipeline import DigestDeps
from digest.signup_limits import sign_up_answer
from digest.subscribers import forget
from digest.tokens import BadToken, Tokens
from digest.web import CSRF_COOKIE, install_routes
from tests.digest.conftest import PUBLIC_URL
from tests.digest.smtp_sink import SmtpSink

Client = TestClient[web.Request, web.Application]
VICTIM = "victim@example.com"


@pytest.fixture
async def client(deps: DigestDeps) -> AsyncIterator[Client]:
    app = web.Application()
    install_routes(app, deps)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def _form(client: Client) -> tuple[str, str]:
    page = await client.get("/subscribe")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert csrf
    return csrf[1], page.cookies[CSRF_COOKIE].value


async def _post(client: Client, email: str, csrf: str, nonce: str, **headers: str) -> int:
    response = await client.post(
        "/subscribe",
        data={"email": email, "csrf": csrf},
        headers={"Cookie": f"{CSRF_COOKIE}={nonce}", **headers},
    )
    return response.status


async def _sign_up(client: Client, email: str, **headers: str) -> int:
    csrf, nonce = await _form(client)
    return await _post(client, email, csrf, nonce, **headers)


async def _settle(sink: SmtpSink) -> int:
    """Emails at the sink once nothing more is on its way."""
    await asyncio.sleep(0.2)
    return len(sink.messages)


async def _status(database: Database, email: str) -> str | None:
    async with database.read() as session:
        return await session.scalar(select(Subscriber.status).where(Subscriber.email == email))


async def _age_throttles(database: Database, by: timedelta) -> None:
    """Move every counted event into the past, as if time had gone by."""
    async with database.write() as session:
        for row in await session.scalars(select(SendThrottle)):
            row.at = row.at - by


def _emails_metric(kind: str, result: str) -> float:
    value = REGISTRY.get_sample_value("shiporskip_emails_total", {"kind": kind, "result": result})
    return value or 0.0


async def test_the_form_bombing_loop_lands_one_email(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """Fifty sign-ups of one victim from fifty 'IPs' (forged X-Forwarded-For) send one email."""
    before = _emails_metric("confirmation", "sent")
    for i in range(50):
        # No TRUSTED_PROXY: the header is ignored, yet the address limit alone holds.
        await _sign_up(client, VICTIM, **{"X-Forwarded-For": f"203.0.113.{i}"})
    assert await _settle(sink) == 1
    assert _emails_metric("confirmation", "sent") - before == 1


async def test_an_address_gets_at_most_three_a_day(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """Every ten minutes one more; after three the day is used up."""
    for _ in range(5):
        await _sign_up(client, VICTIM)
        await _age_throttles(deps.database, timedelta(minutes=11))
    assert await _settle(sink) == 3
    await _age_throttles(deps.database, timedelta(hours=24))
    await _sign_up(client, VICTIM)
    assert await _settle(sink) == 4


async def test_one_ip_spraying_many_addresses_is_stopped(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """Per-IP: after five sign-ups in ten minutes the form answers 429 and sends nothing."""
    statuses = [await _sign_up(client, f"target{i}@example.com") for i in range(12)]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert await _settle(sink) == 5


async def test_forwarded_for_counts_only_from_the_trusted_proxy(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    """Behind our proxy each client has its own budget; the header can't be forged past it."""
    deps.settings.app.trusted_proxy = ip_address("127.0.0.1")
    app = web.Application()
    install_routes(app, deps)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        for i in range(6):
            assert await _sign_up(
                client, f"a{i}@example.com", **{"X-Forwarded-For": "198.51.100.7"}
            ) == (200 if i < 5 else 429)
        # Another client behind the same proxy still gets through; a spoofed first entry
        # is ignored because the proxy appends the address it saw.
        spoofed = {"X-Forwarded-For": "198.51.100.7, 198.51.100.8"}
        assert await _sign_up(client, "b@example.com", **spoofed) == 200
    assert await _settle(sink) == 6


async def test_a_replayed_form_is_refused(client: Client, deps: DigestDeps, sink: SmtpSink) -> None:
    """One fetched form posts once: the same nonce twice is a 403 and stores nothing."""
    csrf, nonce = await _form(client)
    assert await _post(client, "first@example.com", csrf, nonce) == 200
    assert await _post(client, "second@example.com", csrf, nonce) == 403
    assert await _status(deps.database, "second@example.com") is None
    assert await _settle(sink) == 1


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_the_chat_bombing_loop_lands_one_email(
    deps: DigestDeps, sink: SmtpSink, platform: str
) -> None:
    """/subscribe in a loop, as the adapters call it, from many users: one email lands."""
    service = CommandService(deps.database, subscriptions=deps.subscriptions())
    answers = [
        await service.subscribe(CommandContext(platform, "T1", f"U{i % 10}"), VICTIM)
        for i in range(40)
    ]
    assert all(isinstance(a, NoticeView) for a in answers)
    assert await _settle(sink) == 1


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_one_chat_user_spraying_addresses_is_stopped(
    deps: DigestDeps, sink: SmtpSink, platform: str
) -> None:
    """Per person: the sixth sign-up in ten minutes is refused; another person still can."""
    service = CommandService(deps.database, subscriptions=deps.subscriptions())
    me = CommandContext(platform, "T1", "U1")
    answers = [await service.subscribe(me, f"t{i}@example.com") for i in range(8)]
    refused = [a for a in answers if isinstance(a, ErrorView)]
    assert len(refused) == 3 and all(a.code == "rate_limited" for a in refused)
    other = await service.subscribe(CommandContext(platform, "T1", "U2"), "t9@example.com")
    assert isinstance(other, NoticeView)
    assert await _settle(sink) == 6


async def test_an_import_cannot_bomb_either(deps: DigestDeps, sink: SmtpSink) -> None:
    """The import's confirmation step holds the per-address limit."""
    async with deps.database.write() as session:
        session.add(Subscriber(email=VICTIM, status="pending", source="import"))
    unsent = await deps.subscriptions().send_confirmations([VICTIM] * 5)
    assert len(unsent) == 4
    assert await _settle(sink) == 1


async def test_the_answer_does_not_tell_who_subscribes(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """A confirmed, a pending and an unknown address get the same words (and no email)."""
    async with deps.database.write() as session:
        session.add(Subscriber(email="known@example.com", status="confirmed", source="test"))
    service = CommandService(deps.database, subscriptions=deps.subscriptions())
    ctx = CommandContext("discord", "g", "u")
    known = await service.subscribe(ctx, "known@example.com")
    assert isinstance(known, NoticeView)
    assert known.message == sign_up_answer("known@example.com")
    unknown = await service.subscribe(ctx, "new@example.com")
    assert isinstance(unknown, NoticeView)
    assert unknown.message == sign_up_answer("new@example.com")
    for email in ("known@example.com", "new@example.com"):
        csrf, nonce = await _form(client)
        response = await client.post(
            "/subscribe",
            data={"email": email, "csrf": csrf},
            headers={"Cookie": f"{CSRF_COOKIE}={nonce}"},
        )
        page = await response.text()
        assert "already" not in page and "a confirmation link is on its way" in page
    assert await _settle(sink) == 1  # only the new address, once


async def _confirm_link(sink: SmtpSink) -> str:
    await sink.wait_for(1)
    body = sink.messages[-1].parsed().get_body(("plain",))
    assert body is not None
    link = re.search(r"https://\S+/confirm/\S+", body.get_content())
    assert link
    return link[0].removeprefix(PUBLIC_URL)


async def test_a_link_scanner_confirms_nobody(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """GET and HEAD of the confirmation link change nothing; the page holds a POST button."""
    assert await _sign_up(client, "scan@example.com") == 200
    path = await _confirm_link(sink)
    payload = path.rsplit("/", 1)[1].split(".")[0]
    assert b"scan@" not in base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert (await client.head(path)).status == 200
    page = await client.get(path)
    assert page.status == 200 and 'method="post"' in await page.text()
    assert await _status(deps.database, "scan@example.com") == "pending"
    # A POST without the page's form (a scanner that submits) is refused too.
    assert (await client.post(path)).status == 403
    assert await _status(deps.database, "scan@example.com") == "pending"


async def _press_button(client: Client, path: str) -> int:
    page = await client.get(path)
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert csrf, await page.text()
    response = await client.post(
        path,
        data={"csrf": csrf[1]},
        headers={"Cookie": f"{CSRF_COOKIE}={page.cookies[CSRF_COOKIE].value}"},
    )
    return response.status


async def test_an_old_confirmation_link_does_not_resubscribe(
    client: Client, deps: DigestDeps, sink: SmtpSink
) -> None:
    """Confirm, unsubscribe, then the old link again: still unsubscribed."""
    assert await _sign_up(client, "leaver@example.com") == 200
    path = await _confirm_link(sink)
    assert await _press_button(client, path) == 200
    assert await _status(deps.database, "leaver@example.com") == "confirmed"
    assert await deps.subscriptions().unsubscribe(
        await _unsubscribe_token(deps, "leaver@example.com")
    )
    page = await client.get(path)
    assert page.status == 400
    csrf, nonce = await _form(client)
    again = await client.post(
        path, data={"csrf": csrf}, headers={"Cookie": f"{CSRF_COOKIE}={nonce}"}
    )
    assert again.status == 400
    assert await _status(deps.database, "leaver@example.com") == "unsubscribed"


async def _unsubscribe_token(deps: DigestDeps, email: str) -> str:
    async with deps.database.read() as session:
        key = await session.scalar(select(Subscriber.link_key).where(Subscriber.email == email))
    assert key is not None
    return deps.tokens.unsubscribe_token(key)


async def test_ids_are_not_reused_and_old_links_hit_nobody(
    client: Client, deps: DigestDeps
) -> None:
    """After `subscribers forget`, the next subscriber gets a new id and old links miss."""
    async with deps.database.write() as session:
        first = Subscriber(email="gone@example.com", status="confirmed", source="test")
        session.add(first)
    old_link = await _unsubscribe_token(deps, "gone@example.com")
    assert await forget(deps.database, "gone@example.com")
    async with deps.database.write() as session:
        second = Subscriber(email="next@example.com", status="confirmed", source="test")
        session.add(second)
    assert second.id != first.id
    page = await client.get(f"/unsubscribe/{old_link}")
    assert "next@example.com" not in await page.text()
    await client.post(f"/unsubscribe/{old_link}", data={"List-Unsubscribe": "One-Click"})
    assert await _status(deps.database, "next@example.com") == "confirmed"


async def test_links_signed_with_the_previous_key_still_work(deps: DigestDeps) -> None:
    """Key rotation: readers take the current key first, then the previous ones."""
    old = Tokens(["old-key"])
    rotated = Tokens(["new-key", "old-key"])
    assert rotated.read_unsubscribe(old.unsubscribe_token("k")) == "k"
    assert rotated.read_confirm(old.confirm_token("k")) == "k"
    # New tokens are signed with the current key: they don't depend on the old one.
    assert Tokens(["new-key"]).read_confirm(rotated.confirm_token("k")) == "k"
    assert Tokens(["old-key"]).read_confirm(rotated.confirm_token("k")) == BadToken("invalid")
