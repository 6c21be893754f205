"""JSON encoded in C (orjson) for what we send Slack: request bodies and acks.

A card's blocks are the bulk of what a click or a slash command sends, and the
standard library's encoder spent several times longer on them.
"""

from __future__ import annotations

from typing import Any

import orjson


def json_text(value: Any) -> str:
    """``value`` as JSON text (non-ASCII as it is, which JSON allows)."""
    return orjson.dumps(value).decode()
