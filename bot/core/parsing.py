"""Turn command text ("/compare A vs B", "vote cursor ship") into a command and its arguments.

Used by the console and Slack (which hand us raw text); Discord passes options directly.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.registry import REGISTRY, WORDS
from bot.core.views import ErrorView

MAX_COMMAND_CHARS = 500

# Derived from the registry; kept as names because messages and tests read them.
USAGE = {spec.name: spec.usage for spec in REGISTRY}
ALIASES = {alias: spec.name for spec in REGISTRY for alias in spec.aliases}
_SEPARATOR = re.compile(r"\s+(?:vs\.?|versus)\s+|\s*,\s*", re.IGNORECASE)
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: tuple[str, ...]


def clean(text: str) -> str:
    """Drop control and direction-override characters; keep everything readable."""
    return " ".join(_INVISIBLE.sub("", text).split())


def parse_command(
    line: str, match_quality: Callable[[str], int] | None = None
) -> Command | ErrorView:
    """Parse a whole command line.

    ``match_quality`` (0 none, 1 fuzzy, 2 exact) helps split "a b c d" into two tool names.
    """
    text = clean(line)
    if len(text) > MAX_COMMAND_CHARS:
        return ErrorView(
            "usage", f"That command is too long (over {MAX_COMMAND_CHARS} characters)."
        )
    if not text:
        return ErrorView(
            "usage", "Type a command, for example /compare cursor vs copilot.", usage="/help"
        )
    head, _, rest = text.partition(" ")
    spec = WORDS.get(head.lstrip("/!").casefold())
    if spec is None:
        return unknown_command(head)
    name, rest = spec.name, rest.strip()
    match spec.text_form:
        case "pair":
            pair = split_compare(rest, match_quality)
            return pair if isinstance(pair, ErrorView) else Command(name, pair)
        case "vote":
            vote = split_vote(rest)
            return vote if isinstance(vote, ErrorView) else Command(name, vote)
        case "rest":
            if not rest and not spec.options[0].required:
                return Command(name, ())
            if not rest:
                option = spec.options[0]
                text = (
                    f"Which tool? /{name} needs a tool name."
                    if option.autocomplete
                    else f"/{name} needs the {option.name}."
                )
                return ErrorView("usage", text, usage=spec.usage)
            return Command(name, (_unquote(rest),))
        case "choice":
            choices = spec.options[0].choices
            word = rest.casefold()
            if word not in choices:
                return ErrorView("usage", f"Say {' or '.join(choices)}.", usage=spec.usage)
            return Command(name, (word,))
        case _:
            return Command(name, ())


def unknown_command(head: str) -> ErrorView:
    shown = head[:40]
    return ErrorView(
        "unknown_command", f"There is no command {shown!r}.", usage="/help lists the commands"
    )


def split_compare(
    text: str, match_quality: Callable[[str], int] | None = None
) -> tuple[str, str] | ErrorView:
    """Two tool names from "A vs B", "A, B", '"Name with spaces" other', or "a b"."""
    usage = USAGE["compare"]
    text = clean(text)
    if not text:
        return ErrorView("usage", "Which two tools? /compare needs two tool names.", usage=usage)
    parts = [p for p in _SEPARATOR.split(text) if p.strip()] if _SEPARATOR.search(text) else []
    if not parts:
        try:
            parts = shlex.split(text) if any(q in text for q in "\"'") else text.split()
        except ValueError:
            return ErrorView("usage", "A quote is not closed.", usage=usage)
        if len(parts) > 2 and match_quality is not None:
            parts = _best_split(parts, match_quality) or parts
    parts = [_unquote(p) for p in parts]
    if len(parts) == 1:
        return ErrorView("usage", "Compare needs a second tool.", usage=usage)
    if len(parts) > 2:
        return ErrorView(
            "usage",
            f"Compare takes exactly two tools; I read {len(parts)}. "
            "Separate them with 'vs' or a comma.",
            usage=usage,
        )
    return parts[0], parts[1]


def split_vote(text: str) -> tuple[str, str] | ErrorView:
    """(tool, verdict) from "<tool> ship|skip" (the verdict may also come first)."""
    usage = USAGE["vote"]
    words = clean(text).split()
    if not words:
        return ErrorView("usage", "Vote on which tool, ship or skip?", usage=usage)
    verdicts = {"ship": "ship", "skip": "skip", "👍": "ship", "👎": "skip"}
    last, first = words[-1].casefold(), words[0].casefold()
    if last in verdicts and len(words) > 1:
        return _unquote(" ".join(words[:-1])), verdicts[last]
    if first in verdicts and len(words) > 1:
        return _unquote(" ".join(words[1:])), verdicts[first]
    if last in verdicts:
        return ErrorView("usage", "Vote on which tool?", usage=usage)
    return ErrorView("usage", "End your vote with ship or skip.", usage=usage)


def _best_split(words: list[str], match_quality: Callable[[str], int]) -> list[str] | None:
    """Split words into the two names that match tools best (exact beats fuzzy)."""
    best: tuple[int, list[str]] | None = None
    for cut in range(1, len(words)):
        left, right = " ".join(words[:cut]), " ".join(words[cut:])
        a, b = match_quality(left), match_quality(right)
        if a and b and (best is None or a + b > best[0]):
            best = (a + b, [left, right])
    return best[1] if best else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        return text[1:-1].strip()
    return text.strip("\"'“”").strip()
