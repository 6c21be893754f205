"""Deliberate command sync: Discord rate-limits it, so ``run`` syncs only on change.

The hash of the command definitions last synced (globally or per guild) is kept in
the database's app state, so every process and restart agrees on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.discord_bot._discord_internals import tree_commands
from db.engine import Database
from db.queries import app_state

log = logging.getLogger(__name__)


def state_key(guild_id: int | None) -> str:
    return f"discord.commands_hash.{guild_id or 'global'}"


def commands_hash(tree: app_commands.CommandTree[Any], guild_id: int | None = None) -> str:
    guild = discord.Object(guild_id) if guild_id else None
    payload = [command.to_dict(tree) for command in tree_commands(tree, guild)]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def stored_hash(database: Database, guild_id: int | None) -> str | None:
    async with database.read() as session:
        return await app_state.get_value(session, state_key(guild_id))


async def store_hash(database: Database, guild_id: int | None, value: str) -> None:
    async with database.write() as session:
        await app_state.set_value(session, state_key(guild_id), value)


async def sync_commands(
    tree: app_commands.CommandTree[Any], database: Database, guild_id: int | None
) -> int:
    """Sync now (globally, or to one guild) and remember what was synced."""
    guild = discord.Object(guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    synced = await tree.sync(guild=guild)
    await store_hash(database, guild_id, commands_hash(tree, guild_id))
    return len(synced)


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], database: Database, guild_id: int | None
) -> bool:
    """Sync only when the definitions differ from the last sync; True when it synced."""
    if guild_id:
        tree.copy_global_to(guild=discord.Object(guild_id))
    current = commands_hash(tree, guild_id)
    if await stored_hash(database, guild_id) == current:
        log.info("application commands unchanged since the last sync")
        return False
    count = await sync_commands(tree, database, guild_id)
    log.info("synced %d application commands (%s)", count, guild_id or "global")
    return True
