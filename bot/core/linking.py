"""/link and /unlink: one person across Discord, Slack and email (platform-neutral)."""

from __future__ import annotations

import secrets

from bot.core.context import CommandContext
from bot.core.parsing import USAGE
from bot.core.views import ErrorView, NoticeView
from db.engine import Database
from db.queries import links, rate_limits
from db.queries.people import resolve
from db.queries.rate_limits import RateLimit

# Digits 0 and 1 are left out, so a code copied from a phone screen can't be misread as O or I.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# Guessing a code takes 34**8 tries; five attempts per ten minutes makes that hopeless.
ATTEMPTS = RateLimit(limit=5, window_s=600.0)

_REFUSED = {
    "unknown": "That code isn't one I gave out. Check it, or run /link again to get a new one.",
    "expired": "That code has expired (codes last 10 minutes). Run /link again for a new one.",
    "used": "That code was already used. Run /link again for a new one.",
    "own": "That code is from this same account; enter it on your other account.",
    "already_linked": (
        "This account is already linked to another one. Run /unlink here first to link it "
        "somewhere else."
    ),
}


class _Refused(Exception):
    def __init__(self, reason: links.LinkFailure) -> None:
        super().__init__(reason)
        self.reason = reason


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(text: str) -> str | None:
    """The code as typed, upper-cased; None unless it is 8 characters of the alphabet."""
    code = text.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


async def link(
    database: Database, ctx: CommandContext, code_text: str | None
) -> NoticeView | ErrorView:
    identity = ctx.voter.identity
    if not code_text or not code_text.strip():
        fresh = new_code()
        async with database.write() as session:
            await links.store_code(session, identity, fresh)
        return NoticeView(
            f"Your link code is {fresh}. Within 10 minutes, type /link {fresh} on your other "
            "account (Discord or Slack) to count both as one person."
        )
    # Junk is refused before the database is touched: it can't guess a code.
    code = normalize(code_text)
    if code is None:
        return ErrorView(
            "link_refused",
            "A link code is 8 letters and digits, like K7M2Q9XA.",
            usage=USAGE["link"],
        )
    # Attempts are counted in their own transaction, so a refused link still uses one.
    async with database.write() as session:
        person_id = await resolve(session, identity)
        (allowed,) = await rate_limits.admit(session, "link", [person_id], ATTEMPTS)
    if not allowed:
        return ErrorView("rate_limited", "Too many link attempts. Wait 10 minutes and try again.")
    try:
        async with database.write() as session:
            result = await links.redeem(session, identity, code)
            if isinstance(result, str):
                raise _Refused(result)
    except _Refused as refused:
        # Raised inside the transaction so it rolls back: a refused link changes nothing.
        return ErrorView("link_refused", _REFUSED[refused.reason])
    return NoticeView(
        f"Linked. Your {result.accounts} accounts now count as one person: one vote per tool "
        "(the latest one), and your bookmarks are shared."
    )


async def unlink(database: Database, ctx: CommandContext) -> NoticeView | ErrorView:
    async with database.write() as session:
        result = await links.unlink(session, ctx.voter.identity)
    if result == "not_linked":
        return ErrorView("link_refused", "This account isn't linked to another one.")
    return NoticeView(
        "Unlinked. This account now starts fresh with no votes or bookmarks; they stay with "
        "your other account."
    )
