"""Small words for the digest: plurals and the one number format every part uses.

Percentages and 0–100 scores are shown as whole numbers everywhere (email, text
part, archive page, chat posts), so "avg 65" never sits next to "74.8".
"""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 review``, ``2 reviews``; ``many`` for irregular plurals (``1 person``, ``2 people``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def number(value: float | int | None) -> str:
    """A score or percentage as a whole number (half rounds up); "" for none."""
    if value is None:
        return ""
    return str(int(value + 0.5) if value >= 0 else -int(-value + 0.5))


def signed(value: int) -> str:
    """A change in points: ``+12``, ``−3`` (a real minus sign), ``0``."""
    return f"+{value}" if value > 0 else (f"\u2212{-value}" if value < 0 else "0")
