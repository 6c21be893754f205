"""Debian's headless Chromium, used as a person would: screenshots and layout width."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from html import escape, unescape
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Headless windows have a minimum width, so the email is laid out in an iframe of the
# phone's width; srcdoc keeps it same-origin, so the script can measure it after layout.
MEASURE = """<!doctype html><html><body style="margin:0">
<iframe id="phone" style="width:{width}px;height:1200px;border:0" srcdoc="{srcdoc}"></iframe>
<script>
document.getElementById('phone').addEventListener('load', function () {{
  var frame = document.getElementById('phone');
  var out = document.createElement('div');
  out.id = 'sos-measure';
  out.textContent = frame.contentDocument.documentElement.scrollWidth + 'x' +
    frame.contentWindow.innerWidth;
  document.body.appendChild(out);
}});
</script></body></html>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is required (make test installs Debian's chromium package)"
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )


def scheme_flag(dark: bool) -> str:
    """The flag that sets prefers-color-scheme in Debian's headless Chromium (0 dark, 1 light)."""
    return f"--blink-settings=preferredColorScheme={0 if dark else 1}"


def screenshot(
    html_file: Path,
    out: Path,
    width: int,
    height: int = 2400,
    *,
    dark: bool = False,
    forced_dark: bool = False,
) -> Path:
    """A PNG of the page; ``forced_dark`` inverts it as mail apps' forced dark modes do."""
    _run(
        [
            scheme_flag(dark),
            *(["--enable-features=WebContentsForceDark"] if forced_dark else []),
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            html_file.as_uri(),
        ]
    )
    return out


# Every visible piece of text: its computed colour against the nearest painted background.
CONTRAST_SCRIPT = """<script>
window.addEventListener('load', function () {
  function rgb(value) {
    var m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    var p = m[1].split(',').map(parseFloat);
    return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3);
  }
  function channel(v) { v = v / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  function lum(p) { return 0.2126 * channel(p[0]) + 0.7152 * channel(p[1]) + 0.0722 * channel(p[2]); }
  function background(el) {
    for (; el; el = el.parentElement) {
      var c = rgb(getComputedStyle(el).backgroundColor);
      if (c) return c;
    }
    return [255, 255, 255];
  }
  var found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    var node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
    var style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.opacity === '0' || el.closest('[style*="display:none"]')) continue;
    var fg = rgb(style.color), bg = background(el);
    var a = lum(fg), b = lum(bg);
    var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    found.push([node.textContent.trim().slice(0, 40), fg.join(','), bg.join(','), Math.round(ratio * 100) / 100]);
  }
  var out = document.createElement('pre');
  out.id = 'sos-contrast';
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>"""


def text_contrast(html: str, folder: Path, *, dark: bool) -> list[tuple[str, str, str, float]]:
    """(text, colour, background, ratio) of every visible text in ``html`` as Chromium paints it."""
    page = folder / f"contrast-{'dark' if dark else 'light'}.html"
    page.write_text(html.replace("</body>", CONTRAST_SCRIPT + "</body>"), encoding="utf-8")
    done = _run(
        [
            scheme_flag(dark),
            "--dump-dom",
            "--virtual-time-budget=5000",
            "--window-size=1200,2400",
            page.as_uri(),
        ]
    )
    marker = 'id="sos-contrast">'
    start = done.stdout.index(marker) + len(marker)
    raw = unescape(done.stdout[start : done.stdout.index("</pre>", start)])
    return [(text, fg, bg, float(ratio)) for text, fg, bg, ratio in json.loads(raw)]


def page_width(html: str, folder: Path, width: int) -> tuple[int, int]:
    """(document scroll width, viewport width) at a window ``width`` pixels wide."""
    page = folder / f"measure-{width}.html"
    page.write_text(MEASURE.format(width=width, srcdoc=escape(html, quote=True)), encoding="utf-8")
    done = _run(
        ["--dump-dom", "--virtual-time-budget=5000", "--window-size=1000,1400", page.as_uri()]
    )
    marker = 'id="sos-measure">'
    start = done.stdout.index(marker) + len(marker)
    scroll, viewport = done.stdout[start : done.stdout.index("<", start)].split("x")
    return int(scroll), int(viewport)
