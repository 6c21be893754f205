"""URLs of our own web pages, built in one place so chat, the digest and the site agree.

A comparison has one canonical address: the two slugs in alphabetical order, so
``/compare/a-vs-b`` and ``/compare/b-vs-a`` are the same page (the second redirects).
"""

from __future__ import annotations

from urllib.parse import quote

SEPARATOR = "-vs-"


def canonical_pair(first: str, second: str) -> tuple[str, str]:
    """The two slugs in the order the canonical URL uses."""
    return (first, second) if first <= second else (second, first)


def compare_path(first: str, second: str) -> str:
    a, b = canonical_pair(first, second)
    return f"/compare/{quote(a)}{SEPARATOR}{quote(b)}"


def compare_url(public_url: str, first: str, second: str) -> str:
    """The comparison page of two tools (by slug), in either order."""
    return public_url.rstrip("/") + compare_path(first, second)


def tool_path(slug: str) -> str:
    return f"/tools/{quote(slug)}"


def tool_url(public_url: str, slug: str) -> str:
    """The page of one tool (by slug)."""
    return public_url.rstrip("/") + tool_path(slug)


def og_image_url(public_url: str, first: str, second: str, version: str) -> str:
    """The preview image of a comparison; ``version`` changes whenever the picture would."""
    a, b = canonical_pair(first, second)
    return f"{public_url.rstrip('/')}/og/compare/{quote(a)}{SEPARATOR}{quote(b)}.png?v={version}"


def split_pair(pair: str, known: set[str] | None = None) -> tuple[str, str] | None:
    """``a-vs-b`` back into two slugs; slugs may themselves contain ``-vs-``.

    With ``known`` slugs, the split that names two known tools wins.
    """
    candidates = []
    start = 0
    while (at := pair.find(SEPARATOR, start)) != -1:
        first, second = pair[:at], pair[at + len(SEPARATOR) :]
        if first and second:
            candidates.append((first, second))
        start = at + 1
    if known is not None:
        for first, second in candidates:
            if first in known and second in known:
                return first, second
    return candidates[0] if candidates else None
