"""`shiporskip mail keygen` and `mail dns`: the key they write signs mail that verifies."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import dkim
from typer.testing import CliRunner

from bot.cli import app
from digest.signing import DkimSigner


def test_keygen_then_dns_publishes_the_key_that_signs(tmp_path: Path) -> None:
    runner = CliRunner()
    key = tmp_path / "dkim.pem"
    made = runner.invoke(app, ["mail", "keygen", str(key)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(app, ["mail", "keygen", str(key)])
    assert again.exit_code == 2  # never overwrites a key by accident
    env = {
        "DKIM_SELECTOR": "sos2026",
        "DKIM_DOMAIN": "sos.example",
        "DKIM_PRIVATE_KEY_FILE": str(key),
        "MAIL_FROM": "Ship or Skip <digest@sos.example>",
        "BOUNCE_ADDRESS": "bounces@bounce.sos.example",
    }
    printed = runner.invoke(app, ["mail", "dns"], env=env)
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    dkim_line = next(line for line in lines if line.startswith("sos2026._domainkey.sos.example."))
    assert any(line.startswith('bounce.sos.example.\tIN\tTXT\t"v=spf1') for line in lines)
    assert any(line.startswith('_dmarc.sos.example.\tIN\tTXT\t"v=DMARC1;') for line in lines)
    # The quoted strings of the TXT record, joined, are what a resolver hands to dkimpy.
    record = "".join(re.findall(r'"([^"]*)"', dkim_line)).encode()
    assert all(len(chunk) <= 255 for chunk in re.findall(r'"([^"]*)"', dkim_line))
    signer = DkimSigner.from_files(domain="sos.example", selector="sos2026", key_file=key)
    message = b"From: digest@sos.example\r\nTo: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    assert dkim.verify(signer.sign(message), dnsfunc=lambda name, timeout=5: record)


def test_dns_without_a_key_says_what_is_missing() -> None:
    result = CliRunner().invoke(app, ["mail", "dns"], env={"DKIM_SELECTOR": ""})
    assert result.exit_code == 2
