"""`shiporskip run`: start every part the settings enable, in one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.bootstrap import prepare_database
from bot.core.ports import ChannelPoster
from bot.core.service import CommandService
from bot.settings import Settings
from bot.web.app import RouteInstaller, bound_port, build_web_app, serve
from db.engine import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every running part shares; the entry point owns its lifetime."""

    settings: Settings
    database: Database
    service: CommandService
    # Chat platforms register a poster here when they start, so the digest can post.
    posters: dict[str, ChannelPoster] = field(default_factory=dict)
    # Set once the web app listens (HTTP_PORT=0 picks a free port).
    http_port: int | None = None


Part = Callable[[Runtime], Coroutine[Any, Any, None]]


def enabled_parts(settings: Settings, *, console: bool) -> dict[str, Part]:
    """The parts to run, by name. Each runs until cancelled."""
    parts: dict[str, Part] = {"web": _web_part, "digest": _digest_part}
    if console:
        parts["console"] = _console_part
    if settings.discord.token:
        parts["discord"] = _discord_part
    if settings.slack.app_token:
        parts["slack"] = _slack_socket_part
    return parts


def web_route_installers(settings: Settings) -> list[RouteInstaller]:
    """Each HTTP-facing feature adds its routes to the one web app."""
    from digest.web import route_installer as digest_routes

    installers: list[RouteInstaller] = [digest_routes]
    if settings.slack.bot_token or settings.slack.client_id or settings.slack.app_token:
        from bot.slack_bot.http import install_slack_routes

        installers.append(install_slack_routes)
    return installers


async def _web_part(runtime: Runtime) -> None:
    app = build_web_app(runtime, web_route_installers(runtime.settings))
    host, port = runtime.settings.http.host, runtime.settings.http.port
    try:
        runner = await serve(app, host, port)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    runtime.http_port = bound_port(runner)
    log.info("web app listening on http://%s:%s", host, runtime.http_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def wants_console(settings: Settings) -> bool:
    """The console chat runs when no chat platform is configured."""
    return not (
        settings.discord.token
        or settings.slack.bot_token
        or settings.slack.app_token
        or settings.slack.client_id
    )


async def _discord_part(runtime: Runtime) -> None:
    from bot.discord_bot.part import discord_part

    await discord_part(runtime)


async def _slack_socket_part(runtime: Runtime) -> None:
    from bot.slack_bot.socket_mode import run_socket_mode

    await run_socket_mode(runtime)


async def _digest_part(runtime: Runtime) -> None:
    from digest.part import digest_part

    await digest_part(runtime)


async def _console_part(runtime: Runtime) -> None:
    from bot.console.repl import chat

    await chat(runtime.service)


async def run(settings: Settings, *, demo: bool = True) -> None:
    database = await prepare_database(
        settings.database.url, catalog_path=settings.app.catalog_path, demo=demo
    )
    from digest.part import subscriptions_for

    service = CommandService(database, subscriptions=subscriptions_for(database, settings))
    runtime = Runtime(settings, database, service)
    parts = enabled_parts(settings, console=wants_console(settings))
    try:
        if not parts:
            log.error("nothing to run: no front end is configured")
            return
        for name in parts:
            log.info("starting %s", name)
        tasks = {asyncio.create_task(part(runtime), name=name) for name, part in parts.items()}
        # The console ends the process when its user leaves; other parts run until stopped.
        # Any part that stops ends the process: a half-running bot is worse than none.
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        await database.dispose()
        sys.stdout.flush()
