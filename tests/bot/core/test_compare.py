"""compare: everything the seed page shows, from the demo catalog."""

from __future__ import annotations

from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import CompareCard, ErrorView


async def test_compare_shows_the_seed_page_facts(service: CommandService, ctx: CommandContext):
    """The seed comparison carries the site's verdicts, scores, pricing and categories."""
    card = await service.compare(ctx, "Claude 4 Sonnet", "SmolVLM2 Turbo")
    assert isinstance(card, CompareCard)
    assert card.title == "Claude 4 Sonnet vs SmolVLM2 Turbo"
    a, b = card.first, card.second
    assert a.category == b.category == "Developer Tools"
    assert a.panel.label == b.panel.label == "Ship · 4 ship / 0 skip"
    assert a.panel.ship_pct == b.panel.ship_pct == 100
    assert a.community.label == "No community votes yet"
    assert a.entry_price == b.entry_price == "Free"
    assert b.pricing == "Free / Open weights (Apache 2.0)"
    assert a.best_for == "500K context + extended thinking for serious reasoning tasks"
    scores = {row.critic_name: (row.first.score, row.second.score) for row in card.rows}  # type: ignore[union-attr]
    assert scores == {
        "Builder": (84, 85),
        "Skeptic": (78, 78),
        "Futurist": (81, 82),
        "Founder": (72, 72),
    }
    assert "SmolVLM2 Turbo edges it" in card.decision


async def test_compare_tolerates_case_typos_and_aliases(service: CommandService, ctx):
    """Names match whatever the case, with small typos, and by slug."""
    card = await service.compare(ctx, "CLAUDE 4 sonnet", "smolvlm2-turbo")
    assert isinstance(card, CompareCard)
    card = await service.compare(ctx, "Cursr", "GitHub Copilt")
    assert isinstance(card, CompareCard)
    assert {card.first.slug, card.second.slug} == {"cursor", "github-copilot"}


async def test_unknown_tool_offers_suggestions(service: CommandService, ctx):
    """An unknown name answers 'no tool named X' with at most three suggestions."""
    reply = await service.compare(ctx, "Claude 4 Sonet Turbo Max", "zzzz-not-a-tool")
    assert isinstance(reply, ErrorView)
    assert reply.code == "unknown_tool"
    assert len(reply.suggestions) <= 3
    reply = await service.compare(ctx, "cursor", "qwertyuiop")
    assert isinstance(reply, ErrorView)
    assert "qwertyuiop" in reply.message


async def test_same_tool_twice_is_refused(service: CommandService, ctx):
    reply = await service.compare(ctx, "cursor", "Cursor")
    assert isinstance(reply, ErrorView) and reply.code == "same_tool"


async def test_text_forms_of_compare(service: CommandService, ctx):
    """'A vs B', 'A, B', quoted names and bare words all give the same card."""
    for text in (
        "/compare Claude 4 Sonnet vs SmolVLM2 Turbo",
        "/compare claude 4 sonnet, smolvlm2 turbo",
        '/compare "Claude 4 Sonnet" smolvlm2',
        "/compare claude 4 sonnet smolvlm2 turbo",
        "compare claude-4-sonnet VERSUS smolvlm2-turbo",
    ):
        reply = await service.run(ctx, text)
        assert isinstance(reply, CompareCard), (text, reply)
        assert reply.title == "Claude 4 Sonnet vs SmolVLM2 Turbo", text


async def test_compare_usage_errors(service: CommandService, ctx):
    """Missing, single or three tools get a usage answer."""
    for text in ("/compare", "/compare cursor", "/compare a vs b vs c", '/compare "cursor'):
        reply = await service.run(ctx, text)
        assert isinstance(reply, ErrorView) and reply.code == "usage", text
        assert reply.usage == "/compare <tool> vs <tool>"


async def test_compare_requests_are_recorded(service: CommandService, ctx):
    """Every compare is recorded, with unknown names kept as typed."""
    from sqlalchemy import select

    from db.models import CompareRequest

    await service.compare(ctx, "cursor", "github copilot")
    await service.compare(ctx, "cursor", "Imaginary Tool 9000")
    async with service.database.read() as session:
        rows = (await session.scalars(select(CompareRequest).order_by(CompareRequest.id))).all()
    assert len(rows) == 2
    assert rows[0].first_tool_id is not None and rows[0].second_tool_id is not None
    assert rows[1].second_tool_id is None
    assert rows[1].second_query == "Imaginary Tool 9000"


async def test_control_characters_in_names_are_dropped_before_storing(service: CommandService, ctx):
    """A NUL or a direction override typed into an option never reaches the database."""
    from sqlalchemy import select

    from db.models import CompareRequest

    card = await service.compare(ctx, "cur\x00sor", "\u202egithub copilot")
    assert isinstance(card, CompareCard)
    reply = await service.compare(ctx, "\x00\x00", "Unknown\x00Tool")
    assert isinstance(reply, ErrorView)
    async with service.database.read() as session:
        stored = (await session.scalars(select(CompareRequest.first_query))).all()
    assert stored == ["cursor"]
