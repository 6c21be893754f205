"""Discord's message limits, and fitting plain embed specs inside them.

Rendering builds ``EmbedSpec`` values first (no discord.py types), so the fitting
rules can be tested on their own and every message goes out within the limits:
an over-long message is refused by Discord as a whole, losing the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.text import shorten

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
MESSAGE_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT = 2000
BUTTON_LABEL = 80
CUSTOM_ID = 100
CHOICES = 25
CHOICE_TEXT = 100


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class EmbedSpec:
    title: str = ""
    description: str = ""
    fields: tuple[FieldSpec, ...] = field(default=())
    footer: str = ""
    url: str = ""
    color: int | None = None

    @property
    def size(self) -> int:
        """Characters Discord counts toward the 6,000 per message."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


def message_size(embeds: list[EmbedSpec]) -> int:
    return sum(e.size for e in embeds)


def _within(spec: EmbedSpec) -> bool:
    """True when ``_clip`` would change nothing: every part within its limit, no empty field."""
    return (
        len(spec.title) <= TITLE
        and len(spec.description) <= DESCRIPTION
        and len(spec.footer) <= FOOTER
        and len(spec.fields) <= FIELDS
        and all(
            0 < len(f.name) <= FIELD_NAME and 0 < len(f.value) <= FIELD_VALUE for f in spec.fields
        )
    )


def _clip(spec: EmbedSpec) -> EmbedSpec:
    """Each part within its own limit; at most 25 fields. Empty field texts become a dash."""
    if _within(spec):
        # Nearly every card: the catalog's texts fit, and rebuilding the spec field by
        # field was most of the cost of re-rendering a card after each vote.
        return spec
    return replace(
        spec,
        title=shorten(spec.title, TITLE),
        description=shorten(spec.description, DESCRIPTION),
        footer=shorten(spec.footer, FOOTER),
        fields=tuple(
            FieldSpec(
                shorten(f.name, FIELD_NAME) or "—", shorten(f.value, FIELD_VALUE) or "—", f.inline
            )
            for f in spec.fields[:FIELDS]
        ),
    )


# (embed index, part) where part is "title", "description", "footer", ("name", i) or ("value", i)
_Slot = tuple[int, str, int]


def _slots(embeds: list[EmbedSpec]) -> list[tuple[int, _Slot]]:
    out: list[tuple[int, _Slot]] = []
    for e, spec in enumerate(embeds):
        out.append((len(spec.description), (e, "description", 0)))
        out.append((len(spec.footer), (e, "footer", 0)))
        out.append((len(spec.title), (e, "title", 0)))
        for i, f in enumerate(spec.fields):
            out.append((len(f.value), (e, "value", i)))
            out.append((len(f.name), (e, "name", i)))
    return out


def _shrink(spec: EmbedSpec, part: str, index: int, limit: int) -> EmbedSpec:
    if part == "title":
        return replace(spec, title=shorten(spec.title, limit))
    if part == "description":
        return replace(spec, description=shorten(spec.description, limit))
    if part == "footer":
        return replace(spec, footer=shorten(spec.footer, limit))
    fields = list(spec.fields)
    f = fields[index]
    if part == "name":
        fields[index] = FieldSpec(shorten(f.name, limit) or "—", f.value, f.inline)
    else:
        fields[index] = FieldSpec(f.name, shorten(f.value, limit) or "—", f.inline)
    return replace(spec, fields=tuple(fields))


def fit(embeds: list[EmbedSpec]) -> list[EmbedSpec]:
    """Clip every part to its limit, then shorten the longest texts until the message fits.

    Always shortening the currently longest text keeps short facts (verdicts, prices)
    intact and takes the room from long prose (descriptions, review excerpts) first.
    """
    fitted = [_clip(spec) for spec in embeds[:EMBEDS_PER_MESSAGE]]
    while (excess := message_size(fitted) - MESSAGE_TOTAL) > 0:
        length, (e, part, index) = max(_slots(fitted), key=lambda slot: slot[0])
        if length <= 1:
            break  # cannot happen within Discord's part counts; guards the loop anyway
        target = max(length - excess, length // 2, 1)
        fitted[e] = _shrink(fitted[e], part, index, target)
    return fitted
