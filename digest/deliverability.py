"""The DKIM signer and VERP bounce addresses the settings ask for, if any."""

from __future__ import annotations

from functools import partial

from bot.settings import Settings
from digest.signing import DkimSigner
from digest.verp import Verp


def signer_for(settings: Settings) -> DkimSigner | None:
    mail = settings.mail
    if not (mail.dkim_selector and mail.dkim_domain and mail.dkim_private_key_file):
        return None
    return DkimSigner.from_files(
        domain=mail.dkim_domain, selector=mail.dkim_selector, key_file=mail.dkim_private_key_file
    )


def verp_for(settings: Settings) -> Verp | None:
    address = settings.mail.bounce_address
    if not address:
        return None
    return Verp(settings.app.secret_key.get_secret_value(), address)


def envelope_for_issue(settings: Settings, issue_id: int) -> partial[str] | None:
    """Subscriber id -> that subscriber's VERP envelope sender for this issue."""
    verp = verp_for(settings)
    return None if verp is None else partial(_address, verp, issue_id)


def _address(verp: Verp, issue_id: int, subscriber_id: int) -> str:
    return verp.address(subscriber_id, issue_id)
