"""Debian's headless Chromium, used as a person would: screenshots and layout width."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html import escape
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


def screenshot(html_file: Path, out: Path, width: int, height: int = 2400) -> Path:
    _run([f"--screenshot={out}", f"--window-size={width},{height}", html_file.as_uri()])
    return out


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
