"""``shiporskip discord …``: deliberate actions against Discord's API."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

discord_app = typer.Typer(no_args_is_help=True, help="Discord application commands.")
GuildOption = Annotated[
    int | None, typer.Option("--guild", help="Sync to this guild only (instant; for testing).")
]


@discord_app.command("sync")
def sync(guild: GuildOption = None) -> None:
    """Register the slash commands with Discord (globally, or in one guild)."""
    from bot.bootstrap import prepare_database
    from bot.cli import settings_or_exit
    from bot.core.service import CommandService
    from bot.discord_bot._discord_internals import set_application_id
    from bot.discord_bot.part import make_client
    from bot.discord_bot.sync import sync_commands
    from bot.runner import Runtime

    settings = settings_or_exit()
    token = settings.discord.token
    if token is None:
        typer.echo("DISCORD_TOKEN is not set.", err=True)
        raise typer.Exit(2)
    target = guild if guild is not None else settings.discord.guild_id

    async def main() -> int:
        database = await prepare_database(settings.database.url, demo=False)
        try:
            client = make_client(Runtime(settings, database, CommandService(database)))
            async with client:
                # Log in over REST only (it fetches the application id); no gateway needed.
                await client.http.static_login(token.get_secret_value())
                set_application_id(client, (await client.application_info()).id)
                return await sync_commands(client.tree, database, target)
        finally:
            await database.dispose()

    count = asyncio.run(main())
    where = f"guild {target}" if target else "globally"
    typer.echo(f"synced {count} commands {where}")
