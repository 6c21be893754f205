"""Logs: request ids, JSON lines, and no email addresses or tokens."""

from __future__ import annotations

import json
import logging

from bot.logging_setup import JsonFormatter, RedactingFilter, new_request_id, redact


def test_emails_and_tokens_are_masked():
    text = "sent to ada.lovelace+news@example.co.uk with xoxb-123-456-abc and xapp-1-A-2"
    assert redact(text) == "sent to [email] with [token] and [token]"


def test_json_lines_carry_the_request_id():
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "vote by %s", ("bob@x.io",), None)
    rid = new_request_id()
    assert RedactingFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == rid
    assert entry["message"] == "vote by [email]"
    assert entry["level"] == "INFO"
