"""bot.web.forms decodes a form body exactly as the standard library does."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.forms import form_fields

# The characters a form's syntax and escapes are made of, plus text that must survive.
_FORM_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("=&%+;#?/ 0289AaFfGz")), st.characters()),
    max_size=60,
)


@settings(max_examples=2000, deadline=None)
@given(_FORM_TEXT)
def test_any_text_decodes_as_parse_qs_does(text: str) -> None:
    assert form_fields(text) == parse_qs(text, keep_blank_values=True)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1), st.text()))
def test_an_encoded_form_decodes_to_its_fields(fields: dict[str, str]) -> None:
    assert form_fields(urlencode(fields)) == {name: [value] for name, value in fields.items()}


def test_a_slack_click_payload_round_trips() -> None:
    payload = {
        "type": "block_actions",
        "message": {"text": "*Claude 4 Sonnet* vs «SmolVLM2» & 100% <@U1> 😀 + more"},
        "actions": [{"action_id": "sos:vote:ship:1", "value": "1:1:2"}],
    }
    fields = form_fields(urlencode({"payload": json.dumps(payload)}))
    assert json.loads(fields["payload"][0]) == payload


def test_repeated_blank_and_broken_fields() -> None:
    assert form_fields("a=1&a=2&b=&c&d=%zz&e=%E2%82") == {
        "a": ["1", "2"],
        "b": [""],
        "c": [""],
        "d": ["%zz"],
        "e": ["\ufffd"],
    }
    assert form_fields("") == {}
