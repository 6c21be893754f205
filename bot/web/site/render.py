"""Jinja2 for the site's HTML and Atom; every value is escaped on the way out."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.core.links import compare_path, tool_path

# The site's templates live in the top-level ``templates`` package beside the digest's.
TEMPLATES_PACKAGE = "templates"


@functools.cache
def stylesheet() -> bytes:
    return resources.files("bot.web.site").joinpath("static/site.css").read_bytes()


@functools.cache
def stylesheet_version() -> str:
    return hashlib.sha256(stylesheet()).hexdigest()[:10]


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(TEMPLATES_PACKAGE, "."),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "atom.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        compare_path=compare_path, tool_path=tool_path, css_version=stylesheet_version()
    )
    return env


def render(template: str, **values: object) -> str:
    return environment().get_template(template).render(**values)
