"""The attack on privacy: addresses of unusual but valid forms leaking into logs."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import RedactingFilter, RedactingFormatter, redact

VALID = [
    "x{y}@example.com",
    "o'brien@example.com",
    '"john doe"@example.com',
    '"a\\"b"@example.com',
    "ada+news@example.co.uk",
    "a/b=c!#$%&*?^`|~@x.io",
    "root@localhost",
    "u@[192.168.0.1]",
    "Ünïcode@bücher.de",
]


@pytest.mark.parametrize("address", VALID)
def test_every_valid_address_form_is_masked(address: str) -> None:
    masked = redact(f"sent to {address} ok")
    assert masked == "sent to [email] ok", masked


def test_text_format_tracebacks_are_masked() -> None:
    formatter = RedactingFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("o'brien@example.com refused")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    line = formatter.format(record)
    assert "Traceback" in line and "brien" not in line and "[email] refused" in line


def test_ordinary_text_is_left_alone() -> None:
    text = "3@4 votes; @here; decorator @web.middleware; user U123"
    assert redact(text) == text
