"""The Web API session's JSON encoder (orjson) sends what the stdlib encoder would mean."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.slack_bot.json_text import json_text

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(JSON)
def test_any_json_value_reads_back_the_same(value: Any) -> None:
    assert json.loads(json_text(value)) == value


def test_hostile_text_stays_one_json_string() -> None:
    text = '</script>"\\\u2028\x00<!channel> 🚢'
    assert json.loads(json_text({"text": text})) == {"text": text}
