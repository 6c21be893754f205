"""Shortening text to fit platform limits without cutting words in half."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits, else cut at the last word boundary before ``limit`` plus an ellipsis.

    The result is never longer than ``limit`` characters.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = cut.rfind(" ")
        # A single very long word is cut mid-word rather than dropped entirely.
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def excerpt(text: str, limit: int = 240) -> str:
    """The opening of a review, for scorecards."""
    return shorten(" ".join(text.split()), limit)
