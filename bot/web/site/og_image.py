"""The 1200×630 preview image of a comparison, drawn with Pillow's bundled font.

Rendering takes a few milliseconds, so images are kept in a small LRU keyed by the
card version: a new verdict or score makes a new version and so a new image.
"""

from __future__ import annotations

import functools
import io
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFont

from bot.core.views import CompareCard, ToolCard

WIDTH, HEIGHT = 1200, 630
CACHE_SIZE = 256
_BACKGROUND = (248, 249, 251)
_INK = (23, 26, 31)
_MUTED = (74, 83, 97)
_ACCENT = (53, 56, 205)
_VERDICT_COLORS = {
    "ship": ((11, 107, 58), (230, 244, 236)),
    "skip": ((164, 22, 26), (253, 234, 234)),
    "split": ((122, 82, 0), (253, 243, 220)),
    None: ((74, 83, 97), (236, 238, 242)),
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, width: int, sizes: tuple[int, ...]
) -> tuple[str, Font]:
    """The largest size at which ``text`` fits ``width``; cut with an ellipsis at the smallest."""
    for size in sizes:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return text, font
    font = _font(sizes[-1])
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…", font


def _column(draw: ImageDraw.ImageDraw, tool: ToolCard, left: int, width: int) -> None:
    name, font = _fit(draw, tool.name, width, (64, 56, 48, 40, 34))
    draw.text((left, 150), name, font=font, fill=_INK)
    category, small = _fit(draw, tool.category, width, (28,))
    draw.text((left, 230), category, font=small, fill=_MUTED)
    panel = tool.panel
    ink, fill = _VERDICT_COLORS[panel.verdict]
    label = panel.verdict_label
    pill = _font(40)
    pill_width = int(draw.textlength(label, font=pill)) + 48
    draw.rounded_rectangle((left, 290, left + pill_width, 360), radius=18, fill=fill)
    draw.text((left + 24, 301), label, font=pill, fill=ink)
    pct = "—" if panel.ship_pct is None else f"{panel.ship_pct}% panel ship"
    draw.text((left, 395), pct, font=_font(34), fill=_INK)
    score = (
        "no scores yet"
        if panel.average_score is None
        else f"avg score {panel.average_score:.0f}/100"
    )
    draw.text((left, 445), score, font=_font(30), fill=_MUTED)
    split = f"{panel.ship} ship / {panel.skip} skip"
    draw.text((left, 490), split, font=_font(30), fill=_MUTED)


def render_png(card: CompareCard) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 12), fill=_ACCENT)
    draw.text((60, 56), "Ship or Skip · AI tool comparison", font=_font(30), fill=_ACCENT)
    _column(draw, card.first, 60, 470)
    _column(draw, card.second, 670, 470)
    draw.line((600, 150, 600, 530), fill=(210, 214, 222), width=3)
    draw.text((600, 110), "vs", font=_font(34), fill=_MUTED, anchor="mm")
    footer, font = _fit(draw, card.decision, 1080, (26, 22))
    draw.text((60, 570), footer, font=font, fill=_INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()


class ImageCache:
    """Rendered PNGs by (pair, version), least recently used dropped first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._images: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, pair: str, version: str, card: CompareCard) -> bytes:
        key = (pair, version)
        found = self._images.get(key)
        if found is not None:
            self._images.move_to_end(key)
            return found
        png = self._images[key] = render_png(card)
        while len(self._images) > self.size:
            self._images.popitem(last=False)
        return png
