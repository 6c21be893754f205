"""The digest's two palettes (light and dark), in one place so a test can check them.

Templates take every colour from here; tests/digest/test_design.py asserts that each
text colour meets WCAG AA (4.5:1) on each background it is drawn on, in both palettes,
and that the compiled email uses no colour from anywhere else.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_LIGHT = {
    "page": "#f1f5f9",
    "card": "#ffffff",
    "line": "#cbd5e1",
    "text": "#1e293b",
    "strong": "#0f172a",
    "muted": "#475569",
    "link": "#1d4ed8",
    # The masthead keeps its own explicit colours and a border, so it stays visible
    # when a mail client inverts the page (forced dark mode).
    "mast": "#1e3a8a",
    "mast_text": "#ffffff",
    "mast_muted": "#dbeafe",
    "mast_line": "#93c5fd",
    "ship_bg": "#dcfce7",
    "ship": "#166534",
    "skip_bg": "#fee2e2",
    "skip": "#991b1b",
    "split_bg": "#fef3c7",
    "split": "#92400e",
    "up": "#166534",
    "down": "#991b1b",
    "chip": "#e2e8f0",
}
_DARK = {
    "page": "#0b1120",
    "card": "#1e293b",
    "line": "#475569",
    "text": "#e2e8f0",
    "strong": "#f8fafc",
    "muted": "#cbd5e1",
    "link": "#93c5fd",
    "mast": "#172554",
    "mast_text": "#ffffff",
    "mast_muted": "#dbeafe",
    "mast_line": "#60a5fa",
    "ship_bg": "#14532d",
    "ship": "#dcfce7",
    "skip_bg": "#7f1d1d",
    "skip": "#fee2e2",
    "split_bg": "#78350f",
    "split": "#fef3c7",
    "up": "#86efac",
    "down": "#fca5a5",
    "chip": "#334155",
}
LIGHT: Final = MappingProxyType(_LIGHT)
DARK: Final = MappingProxyType(_DARK)
# (text role, background role) for every place text is drawn.
PAIRS: Final = (
    ("text", "card"),
    ("strong", "card"),
    ("muted", "card"),
    ("link", "card"),
    ("up", "card"),
    ("down", "card"),
    ("text", "page"),
    ("strong", "page"),
    ("muted", "page"),
    ("link", "page"),
    ("text", "chip"),
    ("mast_text", "mast"),
    ("mast_muted", "mast"),
    ("ship", "ship_bg"),
    ("skip", "skip_bg"),
    ("split", "split_bg"),
)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
