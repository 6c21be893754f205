"""Escaping user and catalog text for Slack's mrkdwn, and fitting it into limits.

Slack only turns ``<...>`` sequences into mentions and links (``<!channel>``,
``<@U1>``, ``<http://x|y>``); escaping ``&``, ``<`` and ``>`` makes any text inert.
We never send ``link_names``, so a bare "@channel" stays plain text.
"""

from __future__ import annotations

from bot.core.text import shorten

# Longer links are shown as plain names, so a link never has to be cut to fit.
MAX_LINK_URL = 1000
_PLAIN = str.maketrans({"<": "‹", ">": "›"})


def escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` replaced by their entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escaped ``text``, shortened on a word boundary so the *escaped* form fits ``limit``.

    Shortening after escaping could cut an entity in half (``&am…``), so we shorten
    the raw text and escape again until it fits.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    # Binary search for the longest raw cut whose escaped form fits.
    best, low, high = "", 0, min(limit, len(text))
    while low <= high:
        middle = (low + high) // 2
        candidate = escape(shorten(text, middle))
        if len(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def plain(text: str, limit: int) -> str:
    """Text for a ``plain_text`` object (headers, buttons), shortened to ``limit``.

    Slack documents plain_text as unparsed; we still swap angle brackets for
    look-alikes so no surface could ever read a ``<!channel>`` out of it.
    """
    return shorten(" ".join(text.split()).translate(_PLAIN), limit)


def link(url: str, label: str, *, strong: bool = False) -> str:
    """An escaped mrkdwn link, or just the escaped label when the URL is not http(s)."""
    shown = escape(label).replace("|", "¦")
    if strong:
        shown = bold(shown)
    if (
        not url.startswith(("http://", "https://"))
        or len(url) > MAX_LINK_URL
        or any(ch in url for ch in "| <>")
    ):
        return shown
    return f"<{escape(url)}|{shown}>"


def bold(text: str) -> str:
    """Bold mrkdwn of already-escaped text; asterisks inside would end the bold early."""
    return f"*{text.replace('*', '∗')}*" if text else ""
