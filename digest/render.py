"""Snapshot → Jinja2 (autoescaped) → MJML → HTML, once per issue; plus the plain text.

Per-recipient values are not rendered here: the templates emit placeholders that
digest.message fills in with escaped values for each recipient.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from mjml import mjml_to_html

from digest import editorial
from digest.links import IssueLinks
from digest.message import Placeholders
from digest.mjml_check import mjml_problems
from digest.palette import DARK, LIGHT
from digest.personal import BlockRow, vote_slugs
from digest.snapshot_model import DigestSnapshot as Snapshot
from digest.wording import number, plural, signed

# The templates ship inside the top-level ``templates`` package, so a wheel finds them too.
TEMPLATES_PACKAGE = "templates"
TEMPLATE_NAMES = (
    "digest/_macros.mjml.j2",
    "digest/confirm.mjml.j2",
    "digest/email.mjml.j2",
    "digest/email.txt.j2",
    "digest/page.html.j2",
    "digest/personal_block.html.j2",
    "digest/personal_block.txt.j2",
)
MAX_HTML_BYTES = 100_000
COLOR_SCHEME_METAS = (
    '\n    <meta name="color-scheme" content="light dark">'
    '\n    <meta name="supported-color-schemes" content="light dark">'
)


class RenderError(Exception):
    """The templates produced something we must not send."""


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    subject: str
    html: str
    text: str
    # Random per issue: pass them to DigestMessages / personalise_*.
    placeholders: Placeholders
    # The tools with Ship/Skip links, in placeholder index order (digest.personal.VoteLinks).
    vote_slugs: tuple[str, ...] = ()


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
    _add_filters(env)
    return env


def _add_filters(env: Environment) -> None:
    env.filters["web_url"] = web_url
    env.filters["number"] = number
    env.filters["plural"] = plural
    env.filters["signed"] = signed


@functools.cache
def _text_environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    _add_filters(env)
    return env


def archive_url(public_url: str, week: str) -> str:
    return f"{public_url}/digests/{week}"


def _context(
    snapshot: Snapshot,
    public_url: str,
    personal: bool,
    placeholders: Placeholders | None,
    postal_address: str,
) -> dict[str, Any]:
    marks = placeholders or Placeholders.fresh()
    ranked = editorial.stories(snapshot)
    links = IssueLinks(public_url, snapshot.week)
    index = {slug: i for i, slug in enumerate(vote_slugs(snapshot))}

    def vote_link(slug: str, verdict: str) -> str:
        # A reader's signed link goes in per copy; the archive links to the tool's page.
        return marks.vote(index[slug], verdict) if personal else links.tool(slug)

    return {
        "s": snapshot,
        "subject": snapshot.subject,
        "preview": editorial.preheader(snapshot),
        "lead": ranked[0] if ranked else None,
        "second": ranked[1] if len(ranked) > 1 else None,
        "links": links,
        "vote_link": vote_link,
        "personal_block": marks.block if personal else "",
        "public_url": public_url,
        "archive_url": archive_url(public_url, snapshot.week),
        "postal_address": postal_address.strip(),
        "personal": personal,
        "unsubscribe_placeholder": marks.unsubscribe,
        "email_placeholder": marks.email,
        "c": LIGHT,
        "d": DARK,
    }


def compile_mjml(source: str) -> str:
    """Validated MJML to HTML; RenderError on any unknown tag or attribute (npm's strict mode)."""
    problems = mjml_problems(source)
    if problems:
        raise RenderError("invalid MJML: " + "; ".join(problems))
    result = mjml_to_html(source)
    if result.errors:
        raise RenderError("MJML: " + "; ".join(map(str, result.errors)))
    html: str = result.html
    # The port has no place for head metas (mj-raw in mj-head loses them in some builds):
    # mail clients read these two to leave our dark palette alone instead of inverting.
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    if viewport not in html:
        raise RenderError("MJML output lacks the viewport meta the color-scheme metas follow")
    return html.replace(viewport, viewport + COLOR_SCHEME_METAS, 1)


def render_html(
    snapshot: Snapshot,
    public_url: str,
    *,
    personal: bool = True,
    placeholders: Placeholders | None = None,
    postal_address: str = "",
) -> str:
    """The compiled HTML; with ``personal`` it carries the recipient placeholders."""
    context = _context(snapshot, public_url, personal, placeholders, postal_address)
    source = environment().get_template("digest/email.mjml.j2").render(context)
    html = compile_mjml(source)
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
    postal_address: str = "",
) -> str:
    context = _context(snapshot, public_url, personal, placeholders, postal_address)
    text = _text_environment().get_template("digest/email.txt.j2").render(context)
    # Collapse runs of blank lines the optional sections leave behind.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def render_issue(snapshot: Snapshot, public_url: str, postal_address: str = "") -> RenderedIssue:
    """Everything an email needs, rendered once for all recipients."""
    placeholders = Placeholders.fresh()
    return RenderedIssue(
        subject=snapshot.subject,
        html=render_html(
            snapshot, public_url, placeholders=placeholders, postal_address=postal_address
        ),
        text=render_text(
            snapshot, public_url, placeholders=placeholders, postal_address=postal_address
        ),
        placeholders=placeholders,
        vote_slugs=vote_slugs(snapshot),
    )


def render_personal_block(rows: list[BlockRow], more: int, links: IssueLinks) -> tuple[str, str]:
    """A reader's "Your tools this week" as an HTML fragment and text; no MJML involved."""
    values = {"rows": rows, "more": more, "links": links, "c": LIGHT}
    html_part = environment().get_template("digest/personal_block.html.j2").render(values)
    text = _text_environment().get_template("digest/personal_block.txt.j2").render(values)
    return html_part, text.strip("\n") + "\n\n"


# Stands for the confirmation link while the confirmation email is compiled (once).
CONFIRM_URL_PLACEHOLDER = "SOS-CONFIRM-URL-PLACEHOLDER"


@functools.cache
def _confirmation_html(public_url: str, postal_address: str) -> str:
    context = {
        "c": LIGHT,
        "d": DARK,
        "confirm_url": CONFIRM_URL_PLACEHOLDER,
        "links": IssueLinks(public_url, "confirm"),
        "postal_address": postal_address.strip(),
    }
    return compile_mjml(environment().get_template("digest/confirm.mjml.j2").render(context))


def render_confirmation_html(confirm_url: str, public_url: str, postal_address: str = "") -> str:
    """The double opt-in email in the digest's design; ``confirm_url`` is escaped here."""
    escaped = html.escape(confirm_url, quote=True)
    return _confirmation_html(public_url, postal_address).replace(CONFIRM_URL_PLACEHOLDER, escaped)
