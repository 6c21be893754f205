"""Escaping user and catalog text for Slack's mrkdwn, and fitting it into limits.

Slack only turns ``<...>`` sequences into mentions and links (``<!channel>``,
``<@U1>``, ``<http://x|y>``); escaping ``&``, ``<`` and ``>`` makes any text inert.
We never send ``link_names``, so a bare "@channel" stays plain text.
"""

from __future__ import annotations

from bot.core.text import shorten

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` replaced by their entities."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def fit(text: str, limit: int) -> str:
    """Escaped ``text``, shortened on a word boundary so the *escaped* form fits ``limit``.

    Shortening after escaping could cut an entity in half (``&am…``), so we shorten
    the raw text and escape again until it fits.
    """
    escaped = escape(text)
    budget = limit
    while len(escaped) > limit and budget > 0:
        budget -= max(1, len(escaped) - limit)
        escaped = escape(shorten(text, budget))
    return escaped


def plain(text: str, limit: int) -> str:
    """Text for a ``plain_text`` object: never parsed for mentions, only shortened."""
    return shorten(" ".join(text.split()), limit)


def link(url: str, label: str, *, strong: bool = False) -> str:
    """An escaped mrkdwn link, or just the escaped label when the URL is not http(s)."""
    shown = escape(label).replace("|", "¦")
    if strong:
        shown = bold(shown)
    if not url.startswith(("http://", "https://")) or "|" in url or " " in url:
        return shown
    return f"<{escape(url)}|{shown}>"


def bold(text: str) -> str:
    """Bold mrkdwn of already-escaped text; asterisks inside would end the bold early."""
    return f"*{text.replace('*', '∗')}*" if text else ""
