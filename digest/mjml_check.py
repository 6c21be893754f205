"""Validation of our MJML before it is compiled, which the PyPI mjml port skips.

npm mjml rejects unknown tags and attributes ("validationLevel: strict"); the Python
port accepts anything and silently drops what it does not know, so a typo in a
template (``border-radus``) ships as a broken email. This walks the MJML tree the
same way the port parses it and lists every unknown component and attribute.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag
from mjml.core.registry import components, register_core_components

# Accepted on every component (mjml's global attributes).
GLOBAL_ATTRIBUTES = frozenset({"css-class", "mj-class"})
# Their content is HTML or CSS for the email itself, not MJML.
_CONTENT_TAGS = frozenset(
    {
        "mj-text",
        "mj-button",
        "mj-table",
        "mj-raw",
        "mj-style",
        "mj-title",
        "mj-preview",
        "mj-navbar-link",
        "mj-accordion-text",
        "mj-accordion-title",
        "mj-social-element",
    }
)
# Children of mj-attributes name the component they give defaults to.
_DEFAULTS_PARENT = "mj-attributes"
_EXTRA_ATTRIBUTES: dict[str, frozenset[str]] = {
    "mjml": frozenset({"lang", "dir", "owa"}),
    "mj-style": frozenset({"inline"}),
    "mj-class": frozenset({"name"}),
}


def _allowed(name: str) -> frozenset[str] | None:
    component = components.get(name)
    if name == "mjml":
        return _EXTRA_ATTRIBUTES["mjml"]
    if component is None:
        return None
    extra = _EXTRA_ATTRIBUTES.get(name, frozenset())
    declared = set(component.allowed_attrs()) | set(component.default_attrs())
    return frozenset(declared) | GLOBAL_ATTRIBUTES | extra


def mjml_problems(source: str) -> list[str]:
    """Every unknown MJML tag or attribute in ``source``; empty when it is valid."""
    register_core_components()
    root = BeautifulSoup(source, "html.parser").find("mjml")
    if not isinstance(root, Tag):
        return ["no <mjml> root element"]
    problems: list[str] = []

    def visit(tag: Tag, defaults: bool) -> None:
        name = tag.name
        if defaults:
            # <mj-all>, <mj-class name=...> or a component name; attributes are that component's.
            target = "mj-text" if name in ("mj-all", "mj-class") else name
            allowed = _allowed(target)
            if name not in ("mj-all", "mj-class") and allowed is None:
                problems.append(f"<{name}> in mj-attributes is not an MJML component")
            elif name not in ("mj-all", "mj-class") and allowed is not None:
                problems.extend(
                    f"<{name}> has no attribute {attr!r}"
                    for attr in tag.attrs
                    if attr not in allowed
                )
            return
        allowed = _allowed(name)
        if allowed is None:
            problems.append(f"<{name}> is not an MJML component")
            return
        problems.extend(
            f"<{name}> has no attribute {attr!r}" for attr in tag.attrs if attr not in allowed
        )
        if name in _CONTENT_TAGS:
            return
        for child in tag.children:
            if isinstance(child, Tag):
                visit(child, name == _DEFAULTS_PARENT)

    visit(root, False)
    return problems
