"""discord.py's private API that bot/discord_bot/_discord_internals.py uses still exists and works.

When one of these fails after a discord.py upgrade, the message names what moved; fix it
in _discord_internals.py (and only there), then lift the cap in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Iterator

import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_bot._discord_internals import (
    set_api_base,
    set_application_id,
    set_gateway,
    tree_commands,
)

UPGRADE = "discord.py upgrade broke bot/discord_bot/_discord_internals.py: "


@pytest.fixture
def restore_endpoints() -> Iterator[None]:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


def test_route_base_sets_where_rest_calls_go(restore_endpoints: None):
    """Route.BASE is a class-wide str, and every Route's url starts with it."""
    assert isinstance(getattr(Route, "BASE", None), str), UPGRADE + "Route.BASE is gone"
    set_api_base("http://127.0.0.1:9/api/v10/")
    url = Route("GET", "/users/@me").url
    assert url == "http://127.0.0.1:9/api/v10/users/@me", UPGRADE + f"Route.url ignores BASE: {url}"


def test_default_gateway_is_a_class_wide_url(restore_endpoints: None):
    """DiscordWebSocket.DEFAULT_GATEWAY is a yarl.URL we can replace."""
    current = getattr(DiscordWebSocket, "DEFAULT_GATEWAY", None)
    assert isinstance(current, yarl.URL), UPGRADE + "DiscordWebSocket.DEFAULT_GATEWAY is gone"
    set_gateway("ws://127.0.0.1:9/")
    assert yarl.URL("ws://127.0.0.1:9/") == DiscordWebSocket.DEFAULT_GATEWAY


async def test_tree_lists_global_and_guild_commands_as_sync_would():
    """CommandTree._get_all_commands(guild=) returns the commands added for that scope."""
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    assert callable(getattr(tree, "_get_all_commands", None)), (
        UPGRADE + "CommandTree._get_all_commands is gone"
    )

    @tree.command(name="everywhere", description="global")
    async def everywhere(interaction: discord.Interaction) -> None: ...

    @tree.command(name="here", description="guild", guild=discord.Object(42))
    async def here(interaction: discord.Interaction) -> None: ...

    assert [c.name for c in tree_commands(tree, None)] == ["everywhere"], UPGRADE + "global list"
    assert [c.name for c in tree_commands(tree, discord.Object(42))] == ["here"], (
        UPGRADE + "guild list"
    )
    await client.close()


async def test_application_id_set_on_the_connection_state_is_the_clients():
    """Client._connection.application_id is what Client.application_id reads."""
    client = discord.Client(intents=discord.Intents.none())
    state = getattr(client, "_connection", None)
    assert state is not None and hasattr(state, "application_id"), (
        UPGRADE + "Client._connection.application_id is gone"
    )
    set_application_id(client, 1234)
    assert client.application_id == 1234, UPGRADE + "application_id no longer read from state"
    await client.close()
