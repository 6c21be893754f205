"""How often a sign-up may send a confirmation email, and the one answer every sign-up gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from db.queries.throttles import Window


@dataclass(frozen=True, slots=True)
class SignupLimits:
    """How often confirmations may go out; kept in the database, so they hold across processes.

    ``per_address`` guards the victim of a mail bomb; ``per_requester`` guards against
    one IP or one chat user spraying many addresses.
    """

    per_address: tuple[Window, ...] = (
        Window(1, timedelta(minutes=10)),
        Window(3, timedelta(days=1)),
    )
    per_requester: tuple[Window, ...] = (
        Window(5, timedelta(minutes=10)),
        Window(20, timedelta(days=1)),
    )


def sign_up_answer(address: str) -> str:
    """One answer for every address, known, confirmed or new: it tells nobody who subscribes."""
    return (
        f"Thanks. If {address} can get the digest, a confirmation link is on its way; "
        "the digest starts once you click it."
    )


TOO_MANY = "Too many sign-ups from here just now. Try again later."
