"""Snapshot → Jinja2 (autoescaped) → MJML → HTML, once per issue; plus the plain text.

Per-recipient values are not rendered here: the templates emit placeholders that
digest.message fills in with escaped values for each recipient.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from mjml import mjml_to_html

from digest.message import Placeholders
from digest.snapshot_model import DigestSnapshot as Snapshot

# The templates ship inside the top-level ``templates`` package, so a wheel finds them too.
TEMPLATES_PACKAGE = "templates"
TEMPLATE_NAMES = (
    "digest/_macros.mjml.j2",
    "digest/email.mjml.j2",
    "digest/email.txt.j2",
    "digest/page.html.j2",
)
MAX_HTML_BYTES = 100_000


class RenderError(Exception):
    """The templates produced something we must not send."""


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    subject: str
    html: str
    text: str
    # Random per issue: pass them to DigestMessages / personalise_*.
    placeholders: Placeholders


def web_url(value: object) -> str:
    """Only http(s) links leave our hands; anything else (javascript:, data:) is dropped."""
    text = str(value or "").strip()
    return text if text.startswith(("https://", "http://")) else ""


def _loader() -> PackageLoader:
    return PackageLoader(TEMPLATES_PACKAGE, ".")


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=select_autoescape(
            enabled_extensions=("html", "mjml", "html.j2", "mjml.j2"),
            default_for_string=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["web_url"] = web_url
    return env


@functools.cache
def _text_environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["web_url"] = web_url
    return env


def archive_url(public_url: str, week: str) -> str:
    return f"{public_url}/digests/{week}"


def _context(
    snapshot: Snapshot, public_url: str, personal: bool, placeholders: Placeholders | None
) -> dict[str, Any]:
    placeholders = placeholders or Placeholders.fresh()
    return {
        "s": snapshot,
        "subject": snapshot.subject,
        "preview": f"{snapshot.title}: {snapshot.top_story}",
        "public_url": public_url,
        "archive_url": archive_url(public_url, snapshot.week),
        "personal": personal,
        "unsubscribe_placeholder": placeholders.unsubscribe,
        "email_placeholder": placeholders.email,
    }


def render_html(
    snapshot: Snapshot,
    public_url: str,
    *,
    personal: bool = True,
    placeholders: Placeholders | None = None,
) -> str:
    """The compiled HTML; with ``personal`` it carries the recipient placeholders."""
    context = _context(snapshot, public_url, personal, placeholders)
    source = environment().get_template("digest/email.mjml.j2").render(context)
    result = mjml_to_html(source)
    if result.errors:
        raise RenderError("MJML: " + "; ".join(map(str, result.errors)))
    html: str = result.html
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise RenderError(f"digest HTML is {size} bytes; mail clients clip above {MAX_HTML_BYTES}")
    return html


def render_text(
    snapshot: Snapshot,
    public_url: str,
    *,
    personal: bool = True,
    placeholders: Placeholders | None = None,
) -> str:
    context = _context(snapshot, public_url, personal, placeholders)
    text = _text_environment().get_template("digest/email.txt.j2").render(context)
    # Collapse runs of blank lines the optional sections leave behind.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def render_issue(snapshot: Snapshot, public_url: str) -> RenderedIssue:
    """Everything an email needs, rendered once for all recipients."""
    placeholders = Placeholders.fresh()
    return RenderedIssue(
        subject=snapshot.subject,
        html=render_html(snapshot, public_url, placeholders=placeholders),
        text=render_text(snapshot, public_url, placeholders=placeholders),
        placeholders=placeholders,
    )
