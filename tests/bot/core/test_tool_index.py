"""Finding tools by name: exact, forgiving, and fast autocomplete."""

from __future__ import annotations

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.text import shorten
from bot.core.tool_index import Found, NotFound, ToolIndex, normalize
from bot.core.views import ErrorView
from db.engine import Database
from db.queries.tools import ToolName

TOOLS = [
    ToolName(1, "claude-4-sonnet", "Claude 4 Sonnet", ("sonnet 4",)),
    ToolName(2, "claude-ai-app", "Claude.ai app", ()),
    ToolName(3, "cursor", "Cursor", ()),
    ToolName(4, "github-copilot", "GitHub Copilot", ("copilot",)),
    ToolName(5, "smolvlm2-turbo", "SmolVLM2 Turbo", ()),
]


def test_normalize_folds_case_accents_and_punctuation():
    assert normalize("  Claude-4   SONNET ") == "claude 4 sonnet"
    assert normalize("Café.AI") == "cafe ai"


def test_resolve_exact_alias_and_typo():
    index = ToolIndex(TOOLS)
    assert isinstance(index.resolve("sonnet 4"), Found)
    found = index.resolve("Githb Copilot")
    assert isinstance(found, Found) and found.tool.slug == "github-copilot"


def test_resolve_unknown_gives_at_most_three_suggestions():
    result = ToolIndex(TOOLS).resolve("claud")
    assert isinstance(result, NotFound | Found)
    missing = ToolIndex(TOOLS).resolve("photoshop")
    assert isinstance(missing, NotFound) and len(missing.suggestions) <= 3


def test_autocomplete_puts_prefix_matches_first():
    names = [t.name for t in ToolIndex(TOOLS).autocomplete("c")]
    # Names, slugs and aliases starting with "c", alphabetically ("copilot" is an alias).
    assert names == ["Claude 4 Sonnet", "Claude.ai app", "GitHub Copilot", "Cursor"]
    assert [t.name for t in ToolIndex(TOOLS).autocomplete("sonnet")] == ["Claude 4 Sonnet"]


def test_autocomplete_finds_words_and_typos_and_caps_at_25():
    index = ToolIndex(TOOLS)
    assert [t.slug for t in index.autocomplete("turbo")] == ["smolvlm2-turbo"]
    assert "smolvlm2-turbo" in [t.slug for t in index.autocomplete("smolvm")]
    many = ToolIndex([ToolName(i, f"t{i}", f"Tool {i}", ()) for i in range(100)])
    assert len(many.autocomplete("tool")) == 25
    assert len(many.autocomplete("")) == 25


async def test_service_autocomplete_returns_choices(service: CommandService):
    choices = await service.autocomplete("smol")
    assert [c.value for c in choices] == ["smolvlm2-turbo"]
    assert choices[0].name == "SmolVLM2 Turbo"


def test_shorten_cuts_on_words_and_never_exceeds_limit():
    text = "The quick brown fox jumps over the lazy dog"
    assert shorten(text, 100) == text
    short = shorten(text, 20)
    assert short == "The quick brown fox…" and len(short) <= 20
    assert len(shorten("x" * 500, 10)) == 10
    for limit in range(1, 45):
        assert len(shorten(text, limit)) <= limit


async def test_lost_database_answers_try_again(tmp_path):
    """With the database unreachable, commands answer clearly instead of raising."""
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    service = CommandService(database)
    reply = await service.run(CommandContext("console", "w", "u"), "/compare cursor vs copilot")
    assert isinstance(reply, ErrorView) and reply.code == "unavailable"
    assert "try again" in reply.message
    assert await service.autocomplete("cur") == []
    await database.dispose()
