"""Confirming a /subscribe made in chat links the address to the chat person."""

from __future__ import annotations

from sqlalchemy import text

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import NoticeView
from digest.pipeline import DigestDeps
from tests.digest.smtp_sink import SmtpSink


async def _confirm_token(deps: DigestDeps, address: str) -> str:
    """The token the confirmation email carries: it names the subscriber's link key."""
    async with deps.database.read() as session:
        key = await session.scalar(
            text("SELECT link_key FROM subscribers WHERE email = :e"), {"e": address}
        )
    assert key
    return deps.tokens.confirm_token(str(key))


async def _owners(deps: DigestDeps) -> dict[str, int]:
    async with deps.database.read() as session:
        rows = await session.execute(text("SELECT kind, person_id FROM identities"))
        return {str(r[0]): int(r[1]) for r in rows}


async def test_confirming_a_chat_subscription_links_the_address(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    subscriptions = deps.subscriptions()
    service = CommandService(deps.database, subscriptions=subscriptions)
    ctx = CommandContext("discord", "g1", "777", "Ada")
    answer = await service.subscribe(ctx, "ada@example.com")
    assert isinstance(answer, NoticeView)
    await sink.wait_for(1)
    assert "email" not in await _owners(deps)  # not before the address is confirmed
    assert await subscriptions.confirm(await _confirm_token(deps, "ada@example.com")) == (
        "ada@example.com"
    )
    owners = await _owners(deps)
    assert owners["email"] == owners["discord"]


async def test_a_web_signup_confirmed_is_a_person_of_its_own(
    deps: DigestDeps, sink: SmtpSink
) -> None:
    subscriptions = deps.subscriptions()
    await subscriptions.request("bo@example.com", source="web")
    await sink.wait_for(1)
    await subscriptions.confirm(await _confirm_token(deps, "bo@example.com"))
    assert set(await _owners(deps)) == {"email"}


async def test_forgetting_an_address_drops_its_identity(deps: DigestDeps, sink: SmtpSink) -> None:
    from digest.subscribers import forget

    subscriptions = deps.subscriptions()
    await subscriptions.request("cy@example.com", source="web")
    await sink.wait_for(1)
    await subscriptions.confirm(await _confirm_token(deps, "cy@example.com"))
    assert await forget(deps.database, "cy@example.com")
    assert "email" not in await _owners(deps)
