"""The `shiporskip` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.discord_bot.cli import discord_app
from bot.settings import (
    Settings,
    SettingsError,
    describe_settings,
    load_settings,
    mail_problem,
    secret_key_problem,
)
from digest.cli import digest_app, subscribers_app
from digest.mail_cli import mail_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
catalog_app = typer.Typer(no_args_is_help=True, help="Catalog of tools, critics and reviews.")
config_app = typer.Typer(no_args_is_help=True, help="Configuration.")
slack_app = typer.Typer(no_args_is_help=True, help="Slack app setup.")
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(config_app, name="config")
app.add_typer(slack_app, name="slack")
app.add_typer(discord_app, name="discord")
app.add_typer(digest_app, name="digest")
app.add_typer(subscribers_app, name="subscribers")
app.add_typer(mail_app, name="mail")
votes_app = typer.Typer(no_args_is_help=True, help="Community votes.")
app.add_typer(votes_app, name="votes")

# Line-oriented output (file:line: problem) must stay one line each for grep and scripts.
err = Console(stderr=True, soft_wrap=True)
NoDemo = Annotated[bool, typer.Option("--no-demo", help="Don't load the sample catalog.")]


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        for problem in exc.problems:
            err.print(f"[red]invalid setting[/red] {problem}", markup=True, highlight=False)
        raise typer.Exit(2) from None


def strong_settings_or_exit() -> Settings:
    """The settings, refused (exit 2) if SECRET_KEY is too weak for what they expose."""
    settings = settings_or_exit()
    for problem in (secret_key_problem(settings), mail_problem(settings)):
        if problem:
            err.print(f"[red]refused[/red] {problem}", markup=True, highlight=False)
            raise typer.Exit(2)
    return settings


def _logging(settings: Settings, quiet: bool = False) -> None:
    from bot.logging_setup import setup_logging

    setup_logging("WARNING" if quiet else settings.app.log_level, settings.app.log_format)


@app.command()
def run(no_demo: NoDemo = False) -> None:
    """Run everything the settings enable (console chat when no platform is configured)."""
    from bot.event_loop import run_on
    from bot.runner import run as run_all

    settings = strong_settings_or_exit()
    _logging(settings)
    run_on(settings.app.event_loop, lambda: run_all(settings, demo=not no_demo))


@app.command()
def chat(no_demo: NoDemo = False) -> None:
    """Chat with the bot in this terminal, or answer commands piped in, one per line."""
    from bot.bootstrap import prepare_database
    from bot.console.repl import chat as chat_loop
    from bot.core.service import CommandService

    settings = settings_or_exit()
    _logging(settings, quiet=True)

    async def main() -> None:
        database = await prepare_database(
            settings.database.url, catalog_path=settings.app.catalog_path, demo=not no_demo
        )
        from digest.runtime import open_digest

        try:
            # Sign-ups from the chat mail through the one sender, closed when the chat ends.
            async with open_digest(database, settings) as digest:
                await chat_loop(CommandService(database, subscriptions=digest.subscriptions()))
        finally:
            await database.dispose()

    asyncio.run(main())


@app.command()
def status() -> None:
    """What is configured, the last digest and its deliveries, the next scheduled run."""
    from bot.status import configured, database_facts, next_digest_run
    from db.engine import Database

    settings = settings_or_exit()
    table = Table("", "", show_header=False, title="Ship or Skip status", title_justify="left")
    for name, value in configured(settings):
        table.add_row(name, value)

    async def facts() -> list[tuple[str, str]]:
        database = Database(settings.database.url)
        try:
            return await database_facts(database)
        finally:
            await database.dispose()

    try:
        rows = asyncio.run(facts())
    except Exception as exc:  # an operator's command: say what failed, don't trace
        rows = [("database", f"unreachable: {type(exc).__name__}: {exc}")]
    for name, value in rows:
        table.add_row(name, value)
    upcoming = next_digest_run(settings)
    table.add_row("next digest", f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never")
    Console().print(table)


@config_app.command("check")
def config_check() -> None:
    """Print the effective settings (secrets masked); exit 2 on invalid values or a weak key."""
    settings = strong_settings_or_exit()
    table = Table("Variable", "Value", "Meaning", title="Effective settings")
    for variable, value, meaning in describe_settings(settings):
        table.add_row(variable, value, meaning)
    Console().print(table)


@slack_app.command("manifest")
def slack_manifest(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when FILE differs from the registry.")
    ] = False,
    file: Annotated[Path, typer.Option("--file", help="The manifest to check.")] = Path(
        "deploy/slack-manifest.yml"
    ),
) -> None:
    """Print the Slack app manifest generated from the command registry."""
    from bot.slack_bot.manifest import manifest_text

    text = manifest_text()
    if not check:
        typer.echo(text, nl=False)
        return
    if not file.is_file() or file.read_text() != text:
        err.print(
            f"{file} differs from the command registry; "
            f"regenerate it: shiporskip slack manifest > {file}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    typer.echo(f"{file} matches the command registry")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply schema migrations."""
    from db.engine import Database
    from db.migrate import current_revision, upgrade

    settings = settings_or_exit()

    async def main() -> str | None:
        database = Database(settings.database.url)
        try:
            await upgrade(database, revision)
            return await current_revision(database)
        finally:
            await database.dispose()

    typer.echo(f"database at revision {asyncio.run(main())}")


@db_app.command("backup")
def db_backup(path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH, while the bot runs."""
    from db.backup import BackupError, backup

    settings = settings_or_exit()
    try:
        pages = backup(settings.database.url, path)
    except BackupError as exc:
        err.print(str(exc), style="red", markup=False)
        raise typer.Exit(1) from None
    typer.echo(f"backed up {pages} pages to {path}")


@db_app.command("restore")
def db_restore(path: Path) -> None:
    """Replace the SQLite database with a backup (checked first; stop the bot before)."""
    from db.backup import BackupError, restore

    settings = settings_or_exit()
    try:
        restore(settings.database.url, path)
    except BackupError as exc:
        err.print(str(exc), style="red", markup=False)
        raise typer.Exit(1) from None
    typer.echo(f"restored the database from {path}")


@catalog_app.command("import")
def catalog_import(
    path: Path,
    prune: Annotated[bool, typer.Option(help="Remove tools that are not in the files.")] = False,
) -> None:
    """Validate a catalog file or folder, then apply all of it in one transaction."""
    from db.catalog import CatalogError, import_catalog
    from db.engine import Database
    from db.migrate import upgrade

    settings = settings_or_exit()

    async def main() -> str:
        database = Database(settings.database.url)
        try:
            await upgrade(database)
            return str(await import_catalog(database, path, prune=prune))
        finally:
            await database.dispose()

    try:
        typer.echo(f"imported: {asyncio.run(main())}")
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(f"{len(exc.problems)} problem(s); nothing was changed.", style="red")
        raise typer.Exit(1) from None


@catalog_app.command("check")
def catalog_check(path: Path) -> None:
    """Validate a catalog without touching the database."""
    from db.catalog import CatalogError, read_catalog

    try:
        catalog = read_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {len(catalog.critics)} critics, {len(catalog.tools)} tools")


@catalog_app.command("export")
def catalog_export(path: Path) -> None:
    """Write the catalog as YAML: one file (PATH.yaml) or a folder."""
    from db.catalog.exporter import export_catalog
    from db.engine import Database

    settings = settings_or_exit()

    async def main() -> list[Path]:
        database = Database(settings.database.url)
        try:
            return await export_catalog(database, path)
        finally:
            await database.dispose()

    for file in asyncio.run(main()):
        typer.echo(f"wrote {file}")


@votes_app.command("report")
def votes_report(
    days: Annotated[int, typer.Option(min=1, help="How many days back.")] = 7,
) -> None:
    """Per tool: votes per day, newcomers' share, top server's share; flags spikes."""
    from db.engine import Database
    from db.queries.vote_report import vote_report

    settings = settings_or_exit()

    async def main() -> list[Any]:
        database = Database(settings.database.url)
        try:
            async with database.read() as session:
                return list(await vote_report(session, days))
        finally:
            await database.dispose()

    report = asyncio.run(main())
    if not report:
        typer.echo(f"no votes in the last {days} days")
        return
    table = Table("tool", "votes per day (oldest first, last = 24h)", "new", "top place", "spike")
    for tool in report:
        table.add_row(
            tool.slug,
            " ".join(str(n) for n in tool.per_day),
            f"{tool.new_share:.0%}",
            f"{tool.top_place} {tool.top_share:.0%}",
            "SPIKE" if tool.spike else "",
        )
    Console(soft_wrap=True, markup=False, highlight=False).print(table)


def main() -> None:
    app()
