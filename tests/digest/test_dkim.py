"""DKIM signatures, VERP envelope senders and the bulk-mail headers, checked on the wire."""

from __future__ import annotations

import re
from pathlib import Path

import dkim
import pytest

from bot.settings import MailSettings
from db.engine import Database
from digest.message import DigestMessages, Placeholders
from digest.signing import DkimSigner, SigningError, generate_key_pem, relaxed_header
from digest.verp import Verp
from tests.digest.conftest import WEEK, add_subscribers, seed_week
from tests.digest.deliverability import BOUNCE, DOMAIN, SELECTOR, dns_stub, signed_deps
from tests.digest.smtp_sink import SmtpSink


def _verifies(data: bytes, published: dict[bytes, bytes]) -> bool:
    return bool(dkim.verify(data, dnsfunc=lambda name, timeout=5: published.get(name)))


async def test_every_digest_is_signed_and_verifies_against_the_published_key(
    demo_database: Database, sink: SmtpSink, tmp_path: Path
) -> None:
    deps = signed_deps(demo_database, sink, tmp_path)
    try:
        await seed_week(deps.database)
        emails = await add_subscribers(deps.database, 4)
        from digest.pipeline import send_week

        issue, summary = await send_week(deps, WEEK)
    finally:
        await deps.sender.close()
    assert summary.sent == 4
    published = dns_stub(deps.settings)
    verp = Verp("test-secret", BOUNCE)
    ids = set()
    for received in sink.messages:
        assert _verifies(received.data, published), received.recipients
        signature = received.parsed()["DKIM-Signature"]
        signed = re.search(r"h=([^;]+);", signature.replace("\r\n", "").replace(" ", ""))
        assert signed is not None
        names = signed.group(1).split(":")
        for header in ("from", "to", "subject", "date", "message-id", "list-id"):
            assert header in names
        assert "list-unsubscribe" in names and "list-unsubscribe-post" in names
        assert f"d={DOMAIN}" in signature and f"s={SELECTOR}" in signature
        # The envelope sender names this subscriber and this issue, and nobody else.
        target = verp.read(received.sender)
        assert target is not None and target.issue_id == issue.id
        assert received.sender.startswith("bounces+") and received.sender.endswith(
            "@bounce.sos.example"
        )
        ids.add(target.subscriber_id)
    assert len(ids) == len(emails)
    # Changing a signed header (the unsubscribe link) breaks the signature.
    original = sink.messages[0].data
    forged = re.sub(
        rb"List-Unsubscribe: <https://[^>]+>", b"List-Unsubscribe: <https://x.example/u>", original
    )
    assert forged != original
    assert not _verifies(forged, published)
    # ...and so does a changed body.
    body_at = original.index(b"\r\n\r\n") + 4
    changed = original[:body_at] + original[body_at:].replace(b"text/html", b"text/htm", 1)
    assert changed != original
    assert not _verifies(changed, published)


async def test_bulk_headers_on_the_digest_and_the_confirmation(
    demo_database: Database, sink: SmtpSink, tmp_path: Path
) -> None:
    deps = signed_deps(demo_database, sink, tmp_path)
    try:
        await add_subscribers(deps.database, 1)
        from digest.pipeline import send_week

        await send_week(deps, WEEK)
        await deps.subscriptions().request("new.reader@example.org", source="web")
    finally:
        await deps.sender.close()
    assert len(sink.messages) == 2
    digest, confirmation = (m.parsed() for m in sink.messages)
    assert digest["List-Id"] == "Ship or Skip weekly <weekly.sos.example>"
    assert digest["Auto-Submitted"] == "auto-generated"
    assert digest["Precedence"] == "bulk"
    assert digest["Reply-To"] == "editors@sos.example"
    assert digest["Feedback-ID"].startswith(f"{WEEK.label}:")
    for message in (digest, confirmation):
        assert str(message["Date"]).endswith("+0000"), message["Date"]
        assert "GMT" not in str(message["Date"])
    assert confirmation["Reply-To"] == "editors@sos.example"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    published = dns_stub(deps.settings)
    assert _verifies(sink.messages[1].data, published)
    # The confirmation goes out from the plain bounce address: there is no subscriber yet.
    assert sink.messages[1].sender == BOUNCE


def test_relaxed_header_canonicalisation_matches_dkimpy() -> None:
    from dkim.canonicalization import Relaxed

    samples = [(b"Subject", b"  hello \t  world \r\n  folded  "), (b"TO", b" a@b.example")]
    for name, value in samples:
        expected = Relaxed.canonicalize_headers([(name, value)])[0]
        assert relaxed_header(name, value) == expected[0] + b":" + expected[1].rstrip(b"\r\n")


def test_a_body_that_is_not_canonical_is_signed_the_slow_way(tmp_path: Path) -> None:
    """Whitespace that relaxed canonicalisation would change must not use the fast path."""
    key = tmp_path / "k.pem"
    key.write_bytes(generate_key_pem())
    signer = DkimSigner.from_files(domain=DOMAIN, selector=SELECTOR, key_file=key)
    messages = DigestMessages(
        html_body="<pre>two  spaces\t and a tab   </pre>",
        text_body="plain  text  ",
        subject="A subject",
        mail_from="Ship or Skip <digest@sos.example>",
        placeholders=Placeholders.fresh(),
        signer=signer,
    )
    out = messages.build("reader@example.com", "https://sos.example/unsubscribe/t")
    record = signer.public_record().encode()
    assert dkim.verify(out.data, dnsfunc=lambda name, timeout=5: record)


def test_a_bad_key_stops_start_up(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(ValueError, match="DKIM key"):
        MailSettings(dkim_selector="s", dkim_domain="d.example", dkim_private_key_file=bad)
    with pytest.raises(ValueError, match="needs DKIM_SELECTOR"):
        MailSettings(dkim_selector="s")
    with pytest.raises(SigningError):
        DkimSigner(domain="bad domain", selector="s", key=None)  # type: ignore[arg-type]


def test_verp_tokens_are_signed_short_and_case_blind() -> None:
    verp = Verp("k1", "bounces@b.example")
    address = verp.address(123456, 78)
    assert len(address.partition("@")[0]) <= 64
    target = verp.read(address.upper())
    assert target is not None and (target.subscriber_id, target.issue_id) == (123456, 78)
    tampered = address.replace("s2n9c", "s2n9d")
    assert verp.read(tampered) is None
    assert Verp("k2", "bounces@b.example").read(address) is None
    assert verp.read("bounces@b.example") is None
    assert verp.read(address.replace("b.example", "c.example")) is None
