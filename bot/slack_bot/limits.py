"""Block Kit limits we render within (https://api.slack.com/reference/block-kit)."""

from __future__ import annotations

MAX_BLOCKS = 50  # per message and per App Home view is 100; we keep both at 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000  # per context element text object
MAX_ACTIONS_ELEMENTS = 25
MAX_FALLBACK_TEXT = 3000  # the top-level ``text`` is shown in notifications
