"""Command text parsing, including hostile input (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.parsing import Command, parse_command, split_compare, split_vote
from bot.core.views import ErrorView


def test_split_compare_forms():
    assert split_compare("Cursor vs Copilot") == ("Cursor", "Copilot")
    assert split_compare("Cursor VS. Copilot") == ("Cursor", "Copilot")
    assert split_compare("Cursor, GitHub Copilot") == ("Cursor", "GitHub Copilot")
    assert split_compare('"Claude 4 Sonnet" smolvlm2') == ("Claude 4 Sonnet", "smolvlm2")
    assert split_compare("cursor copilot") == ("cursor", "copilot")


def test_split_compare_uses_tool_matches_for_bare_words():
    known = {"claude 4 sonnet": 2, "smolvlm2 turbo": 2, "claude": 1}
    split = split_compare("claude 4 sonnet smolvlm2 turbo", lambda s: known.get(s.lower(), 0))
    assert split == ("claude 4 sonnet", "smolvlm2 turbo")


def test_split_vote_forms():
    assert split_vote("Claude 4 Sonnet ship") == ("Claude 4 Sonnet", "ship")
    assert split_vote("SKIP cursor") == ("cursor", "skip")
    assert isinstance(split_vote("cursor"), ErrorView)
    assert isinstance(split_vote("ship"), ErrorView)
    assert isinstance(split_vote(""), ErrorView)


def test_invisible_and_control_characters_are_dropped():
    parsed = parse_command("/tool cur\u200bsor\u202e")
    assert parsed == Command("tool", ("cursor",))


def test_overlong_command_is_refused():
    reply = parse_command("/compare " + "a" * 600)
    assert isinstance(reply, ErrorView) and "too long" in reply.message


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_errors(text: str):
    """Any text gets a command or a clear error; nothing raises."""
    result = parse_command(text)
    assert isinstance(result, Command | ErrorView)
    if isinstance(result, ErrorView):
        assert result.message


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["/compare ", "/vote ", "/tool ", "/bookmark ", ""]), st.text(max_size=120))
def test_any_arguments_parse_or_error(head: str, rest: str):
    result = parse_command(head + rest, lambda s: len(s) % 3)
    assert isinstance(result, Command | ErrorView)
