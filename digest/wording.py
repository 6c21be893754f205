"""Small words for the digest: plurals and the one number format every part uses.

Every number is shown the way the comparison card shows it (bot/core/cards.py): a
whole number as is, an average with at most one decimal and no trailing ".0". So an
issue says "avg 78.7" next to "80.5 vs 76.2", never "avg 65.0" next to "74.8".
"""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 review``, ``2 reviews``; ``many`` for irregular plurals (``1 person``, ``2 people``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def number(value: float | int | None) -> str:
    """``79``, ``78.7``, ``65`` (not ``65.0``); "" for none."""
    if value is None:
        return ""
    return f"{value:.1f}".removesuffix(".0")


def signed(value: int) -> str:
    """A change in points: ``+12``, ``−3`` (a real minus sign), ``0``."""
    return f"+{value}" if value > 0 else (f"\u2212{-value}" if value < 0 else "0")
