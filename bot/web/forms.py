"""Decoding an ``application/x-www-form-urlencoded`` body.

A Slack click arrives as one form field holding the whole message as percent-encoded
JSON (10-20 kB, most of its punctuation escaped). ``urllib.parse.parse_qs`` decodes it
in Python, one escape at a time: about 0.9 ms a click, the largest single cost of a
Slack request. yarl (aiohttp's URL library) decodes a query string in C, ten times
faster, with the same result (tests/web/test_forms.py checks that on any text).
"""

from __future__ import annotations

from yarl import URL


def form_fields(text: str) -> dict[str, list[str]]:
    """Every field's values in order, as ``parse_qs(text, keep_blank_values=True)``."""
    fields: dict[str, list[str]] = {}
    for name, value in URL.build(query_string=text, encoded=True).query.items():
        fields.setdefault(name, []).append(value)
    return fields
