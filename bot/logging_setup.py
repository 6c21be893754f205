"""Log set-up: readable lines by default, JSON with LOG_FORMAT=json.

Every record carries the id of the interaction it belongs to, and email addresses and
tokens are masked before anything is written: logs get shared, people's data must not.
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import re
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Every local part RFC 5322 allows: atext (x{y}, o'brien, a+tag, a/b=c...), dots, and
# quoted ("john doe"@...); domains by name (with or without dots) or as [ip literal].
_EMAIL = re.compile(
    r"""(?:"(?:[^"\\\r\n]|\\.)*"|[\w!#$%&'*+/=?^`{|}~.-]+)"""
    r"@(?:\[[^\]\s]+\]|[^\W\d_][\w-]*(?:\.[\w-]+)*)"
)
# Slack (xox?-, xapp-) and Discord-shaped bot tokens.
_TOKEN = re.compile(r"\b(?:xox[abposr]-[\w-]+|xapp-[\w-]+|[\w-]{24,}\.[\w-]{6}\.[\w-]{27,})\b")


_ids = random.Random()


def new_request_id() -> str:
    """Start a new interaction: later log lines in this task carry its id."""
    # Log correlation only, never a secret: the process's PRNG, no system call per request.
    value = f"{_ids.getrandbits(48):012x}"
    request_id.set(value)
    return value


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", _EMAIL.sub("[email]", text))


class RedactingFilter(logging.Filter):
    """Adds the request id and masks emails and tokens in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Text lines, masked as a whole: tracebacks and stack dumps carry addresses too
    (an exception message, a local in a frame line), and the filter only sees the message."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


# The loggers slack_sdk tests for DEBUG by their own level (see setup_logging).
SLACK_SDK_LOGGERS = (
    "slack_sdk",
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.socket_mode.aiohttp",
)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            RedactingFormatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter at INFO drowns our own lines.
    quiet = max(logging.WARNING, root.level)
    for noisy in ("discord", "aiosqlite", "asyncio", "slack_bolt", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)
    # slack_sdk decides whether to build its debug lines from the logger's own level
    # (``logger.level <= DEBUG``), not the effective one. Left unset (0), every Web API
    # call formatted its whole request (blocks and all) into a line nobody logs: about
    # a tenth of a Slack click's CPU. So these loggers get a level of their own.
    for name in SLACK_SDK_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
