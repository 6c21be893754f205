"""The 1200×630 preview image of a comparison, drawn with Pillow's bundled font.

Drawn as a one-byte-per-pixel palette image: each colour pair we use (text on its
background) owns a run of palette entries that shade from the background to the ink.
Antialiased text drawn in "L" mode blends linearly between the background's index and
the ink's, so the edges land on the right shades, and the PNG is a third the work of RGB.

Images are kept in a small LRU keyed by the card version: a new verdict or score makes
a new version and so a new image.
"""

from __future__ import annotations

import functools
import io
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFont

from bot.core.views import CompareCard, ToolCard

WIDTH, HEIGHT = 1200, 630
CACHE_SIZE = 256
RUN = 51  # palette entries per colour pair; five pairs fill 255 entries

RGB = tuple[int, int, int]
_PAGE: RGB = (248, 249, 251)
_PAIRS: tuple[tuple[RGB, RGB], ...] = (
    (_PAGE, (23, 26, 31)),  # 0: ink (and greys) on the page
    (_PAGE, (53, 56, 205)),  # 1: accent on the page
    ((230, 244, 236), (11, 107, 58)),  # 2: ship
    ((253, 234, 234), (164, 22, 26)),  # 3: skip
    ((253, 243, 220), (122, 82, 0)),  # 4: split
)
_VERDICT_RUN = {"ship": 2, "skip": 3, "split": 4}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _shade(run: int, amount: float) -> int:
    """The palette index ``amount`` (0 background … 1 ink) along colour pair ``run``."""
    return run * RUN + round(amount * (RUN - 1))


@functools.cache
def _palette() -> list[int]:
    values: list[int] = []
    for background, ink in _PAIRS:
        for step in range(RUN):
            t = step / (RUN - 1)
            values += [round(b + (i - b) * t) for b, i in zip(background, ink, strict=True)]
    return values + [0, 0, 0] * (256 - len(_PAIRS) * RUN)


INK = _shade(0, 1.0)
MUTED = _shade(0, 0.78)  # #4b5260-ish on the page: 7:1 contrast
RULE = _shade(0, 0.08)


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
    draw.text((left, 150), name, font=font, fill=INK)
    category, small = _fit(draw, tool.category, width, (28,))
    draw.text((left, 230), category, font=small, fill=MUTED)
    panel = tool.panel
    run = _VERDICT_RUN.get(panel.verdict or "")
    label = panel.verdict_label
    pill = _font(40)
    pill_width = int(draw.textlength(label, font=pill)) + 48
    if run is None:  # not reviewed: grey on a lighter grey
        background, ink = _shade(0, 0.06), INK
    else:
        background, ink = _shade(run, 0.0), _shade(run, 1.0)
    draw.rounded_rectangle((left, 290, left + pill_width, 360), radius=18, fill=background)
    draw.text((left + 24, 301), label, font=pill, fill=ink)
    pct = "—" if panel.ship_pct is None else f"{panel.ship_pct}% panel ship"
    draw.text((left, 395), pct, font=_font(34), fill=INK)
    average = panel.average_score
    score = "no scores yet" if average is None else f"avg score {average:.1f}/100"
    draw.text((left, 445), score, font=_font(30), fill=MUTED)
    draw.text((left, 490), f"{panel.ship} ship / {panel.skip} skip", font=_font(30), fill=MUTED)


def render_png(card: CompareCard) -> bytes:
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    # The heading band is the page colour too, but on the accent run so its text blends to it.
    draw.rectangle((0, 0, WIDTH, 100), fill=_shade(1, 0.0))
    draw.rectangle((0, 0, WIDTH, 12), fill=_shade(1, 1.0))
    draw.text((60, 50), "Ship or Skip · AI tool comparison", font=_font(30), fill=_shade(1, 1.0))
    _column(draw, card.first, 60, 470)
    _column(draw, card.second, 670, 470)
    draw.line((600, 150, 600, 530), fill=RULE, width=3)
    draw.text((600, 125), "vs", font=_font(34), fill=MUTED, anchor="mm")
    footer, font = _fit(draw, card.decision, 1080, (26, 22))
    draw.text((60, 570), footer, font=font, fill=INK)
    paletted = Image.frombytes("P", image.size, image.tobytes())
    paletted.putpalette(_palette())
    out = io.BytesIO()
    paletted.save(out, format="PNG", compress_level=4)
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
