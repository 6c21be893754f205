"""Every place we reach into discord.py's private API, behind one door.

discord.py has no public way to point REST and the gateway at another host (a proxy or
the tests' fake Discord), to list a tree's commands exactly as a sync would send them,
or to set the application id after a REST-only login. pyproject.toml caps discord.py at
the next minor release, and tests/discord/test_discord_internals.py fails naming the
attribute an upgrade moved, so each use is fixed here and nowhere else.
"""

from __future__ import annotations

from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu


def set_api_base(url: str) -> None:
    """REST calls go to ``url`` (…/api/v10) for the whole process: ``Route.BASE`` is class-wide."""
    Route.BASE = url.rstrip("/")


def set_gateway(url: str) -> None:
    """The gateway used when Discord's /gateway/bot answer is not consulted first."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def tree_commands(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[AnyCommand]:
    """The commands ``tree.sync(guild=…)`` would send, in its order."""
    return tree._get_all_commands(guild=guild)


def set_application_id(client: discord.Client, application_id: int) -> None:
    """What the gateway's READY would set; a REST-only login never receives READY."""
    client._connection.application_id = application_id
