"""Every chat card links to its page on the site."""

from __future__ import annotations

import json

import discord

from bot.console.render_plain import render_plain
from bot.core.context import CommandContext
from bot.core.service import CommandService
from bot.core.views import CompareCard, ToolCard
from bot.discord_bot.buttons import compare_buttons, tool_buttons
from bot.slack_bot.blocks import compare_message, tool_message
from db.engine import Database

PUBLIC = "https://sos.example"
CTX = CommandContext("console", "w", "u")


async def test_cards_carry_their_page_urls(demo_database: Database) -> None:
    service = CommandService(demo_database, public_url=PUBLIC)
    card = await service.compare(CTX, "SmolVLM2 Turbo", "Claude 4 Sonnet")
    assert isinstance(card, CompareCard)
    assert card.page_url == f"{PUBLIC}/compare/claude-4-sonnet-vs-smolvlm2-turbo"
    assert card.first.page_url == f"{PUBLIC}/tools/smolvlm2-turbo"
    links = [
        item
        for item in compare_buttons(card).children
        if isinstance(item, discord.ui.Button) and item.style is discord.ButtonStyle.link
    ]
    assert [(b.label, b.url) for b in links] == [("Open full comparison", card.page_url)]
    slack = json.dumps(compare_message(card)["blocks"])
    assert f"<{card.page_url}|*Open full comparison*>" in slack
    assert f"Full comparison: {card.page_url}" in render_plain(card)


async def test_tool_cards_link_to_the_tool_page(demo_database: Database) -> None:
    service = CommandService(demo_database, public_url=PUBLIC)
    card = await service.tool(CTX, "cursor")
    assert isinstance(card, ToolCard)
    assert card.page_url == f"{PUBLIC}/tools/cursor"
    assert any(
        isinstance(b, discord.ui.Button) and b.url == card.page_url
        for b in tool_buttons(card).children
    )
    assert card.page_url in json.dumps(tool_message(card)["blocks"])
    assert f"Full page: {card.page_url}" in render_plain(card)


async def test_without_a_public_url_cards_have_no_page_link(demo_database: Database) -> None:
    card = await CommandService(demo_database).compare(CTX, "cursor", "claude")
    assert isinstance(card, CompareCard) and card.page_url == ""
    assert "Open full comparison" not in json.dumps(compare_message(card)["blocks"])
