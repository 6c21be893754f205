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


def test_slack_sdk_builds_no_debug_lines_at_info():
    """slack_sdk formats a whole request into a debug line unless its logger's own level
    (not the effective one) is above DEBUG; it cost a tenth of a Slack click's CPU."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.logging_setup import setup_logging

    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        for level in ("INFO", "DEBUG"):
            setup_logging(level)
            # The very test slack_sdk makes before building a request's debug line.
            assert not AsyncWebClient()._logger.level <= logging.DEBUG
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, logger in logging.root.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.setLevel(levels.get(name, logging.NOTSET))
