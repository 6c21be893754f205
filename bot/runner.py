"""`shiporskip run`: start every part the settings enable, in one asyncio loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import prepare_database
from bot.core.ports import ChannelPoster
from bot.core.service import CommandService
from bot.event_loop import loop_name
from bot.metrics import EVENT_LOOP
from bot.settings import Settings, mail_problem, secret_key_problem
from bot.slack_bot.config import SlackConfigError, load_slack_config, slack_enabled
from bot.web.app import RouteInstaller, bound_port, build_web_app, serve
from db.catalog import CatalogError
from db.engine import Database
from db.private_files import private_dir

if TYPE_CHECKING:
    from digest.pipeline import DigestDeps

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every running part shares; the entry point owns its lifetime."""

    settings: Settings
    database: Database
    service: CommandService
    # Chat platforms register a poster here when they start, so the digest can post.
    posters: dict[str, ChannelPoster] = field(default_factory=dict)
    # The process's one digest runtime (one sender, one SMTP pool, one rate); run() opens it.
    digest: DigestDeps | None = None
    # Set once the web app listens (HTTP_PORT=0 picks a free port).
    http_port: int | None = None
    # The parts run() started; each answers for its own readiness and draining.
    parts: list[Part] = field(default_factory=list)
    # Chat platforms that keep their check themselves (discord, slack): name -> () -> (ok, detail).
    readiness: dict[str, Callable[[], tuple[bool, str]]] = field(default_factory=dict)
    # Set when SIGTERM/SIGINT asks the process to stop: parts stop taking new work.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def digest_runtime(self) -> DigestDeps:
        """The shared digest runtime.

        A Runtime built for one part alone (tests, `discord sync`) gets its own on first
        use; its sender is the caller's to close, as run() closes the one it opens.
        """
        if self.digest is None:
            from digest.pipeline import DigestDeps

            self.digest = DigestDeps.from_settings(self.database, self.settings, self.posters)
        return self.digest

    def checks(self) -> dict[str, tuple[bool, str]]:
        """Each part's readiness for GET /readyz, by name."""
        found = {name: check() for name, check in self.readiness.items()}
        for part in self.parts:
            state = part.ready()
            if state is not None:
                found[part.name] = state
        return found


class Part(Protocol):
    """One thing `run` keeps running: started once, asked if ready, drained on stop."""

    @property
    def name(self) -> str:
        """How logs, task names and /readyz call it."""

    async def start(self, runtime: Runtime) -> None:
        """Run until cancelled; returning (or raising) ends the process."""

    def ready(self) -> tuple[bool, str] | None:
        """(ok, detail) for /readyz, or None when the part has nothing to report."""

    async def drain(self) -> None:
        """On stop, before cancellation: finish the work in flight (bounded by DRAIN_S)."""

    def __call__(self, runtime: Runtime) -> Coroutine[Any, Any, None]:
        """Same as ``start``: a part can be handed to ``asyncio.create_task`` directly."""


@dataclass(frozen=True)
class TaskPart:
    """A part that is one coroutine and has no work to drain."""

    name: str
    run: Callable[[Runtime], Coroutine[Any, Any, None]]

    async def start(self, runtime: Runtime) -> None:
        await self.run(runtime)

    def ready(self) -> tuple[bool, str] | None:
        return None

    async def drain(self) -> None:
        return None

    def __call__(self, runtime: Runtime) -> Coroutine[Any, Any, None]:
        return self.start(runtime)


def enabled_parts(settings: Settings, *, console: bool) -> dict[str, Part]:
    """The parts to run, by name. Each runs until cancelled."""
    from digest.part import DigestPart

    parts: dict[str, Part] = {"web": TaskPart("web", _web_part), "digest": DigestPart()}
    if console:
        parts["console"] = TaskPart("console", _console_part)
    if settings.discord.token:
        from bot.discord_bot.part import DiscordPart

        parts["discord"] = DiscordPart()
    if settings.slack.app_token:
        parts["slack"] = TaskPart("slack", _slack_socket_part)
    if settings.mail.bounce_smtp_port is not None:
        from digest.inbound.part import bounce_part

        parts["bounces"] = TaskPart("bounces", bounce_part)
    return parts


def web_route_installers(settings: Settings) -> list[RouteInstaller]:
    """Each HTTP-facing feature adds its routes to the one web app."""
    from bot.web.site.routes import route_installer as site_routes
    from digest.web import route_installer as digest_routes

    installers: list[RouteInstaller] = [digest_routes, site_routes]
    if settings.mail.ses_topic_arn:
        from digest.inbound.part import ses_route_installer

        installers.append(ses_route_installer)
    if slack_enabled(settings):
        from bot.slack_bot.http import install_slack_routes

        installers.append(install_slack_routes)
    return installers


async def _web_part(runtime: Runtime) -> None:
    app = build_web_app(runtime, web_route_installers(runtime.settings))
    host, port = runtime.settings.http.host, runtime.settings.http.port
    try:
        runner = await serve(app, host, port, reuse_port=runtime.settings.http.reuse_port)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    runtime.http_port = bound_port(runner)
    log.info("web app listening on http://%s:%s", host, runtime.http_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def wants_console(settings: Settings, *, terminal: bool | None = None) -> bool:
    """The console chat runs when no chat platform is configured and stdin is a terminal.

    Without a terminal (systemd, Docker) the process serves headless: web app and schedule.
    """
    if terminal is None:
        terminal = sys.stdin.isatty()
    return terminal and not (settings.discord.token or slack_enabled(settings))


async def _slack_socket_part(runtime: Runtime) -> None:
    from bot.slack_bot.socket_mode import run_socket_mode

    await run_socket_mode(runtime)


async def _console_part(runtime: Runtime) -> None:
    from bot.console.repl import chat

    await chat(runtime.service)


# Exit within 10 s of SIGTERM: work in flight gets DRAIN_S, then parts get the rest to close.
DRAIN_S = 5.0
SHUTDOWN_GRACE_S = 4.0


async def run(settings: Settings, *, demo: bool = True, terminal: bool | None = None) -> None:
    """Start every enabled part; stop them all on SIGTERM/SIGINT or when one ends."""
    for problem in startup_problems(settings):
        raise SystemExit(problem)
    loop = loop_name(asyncio.get_running_loop())
    EVENT_LOOP.labels(loop).set(1)
    log.info("event loop: %s", loop)
    try:
        database = await prepare_database(
            settings.database.url, catalog_path=settings.app.catalog_path, demo=demo
        )
    except (OSError, SQLAlchemyError) as exc:
        url = _redact(settings.database.url)
        raise SystemExit(f"cannot open the database ({url}): {exc}") from None
    except CatalogError as exc:
        raise SystemExit(f"the catalog at CATALOG_PATH has problems:\n{exc}") from None
    try:
        await _run_parts(settings, database, terminal=terminal)
    finally:
        await database.dispose()
        sys.stdout.flush()


async def _run_parts(settings: Settings, database: Database, *, terminal: bool | None) -> None:
    from digest.runtime import open_digest

    posters: dict[str, ChannelPoster] = {}
    # One digest runtime for the process, closed (SMTP QUIT) after every part has stopped.
    async with open_digest(database, settings, posters) as digest:
        console = wants_console(settings, terminal=terminal)
        runtime = compose(settings, database, digest, posters, console=console)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, runtime.stopping.set)
        try:
            await _supervise(runtime)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


def compose(
    settings: Settings,
    database: Database,
    digest: DigestDeps,
    posters: dict[str, ChannelPoster],
    *,
    console: bool,
) -> Runtime:
    """The process wired: chat /subscribe, the web form and the schedule share ``digest``.

    ``posters`` must be the mapping ``digest`` was opened with, so platforms that start
    later are seen by the digest's channel posts.
    """
    service = CommandService(
        database, subscriptions=digest.subscriptions(), public_url=settings.app.public_url
    )
    runtime = Runtime(settings, database, service, posters=posters, digest=digest)
    runtime.parts = list(enabled_parts(settings, console=console).values())
    return runtime


async def _supervise(runtime: Runtime) -> None:
    for part in runtime.parts:
        log.info("starting %s", part.name)
    tasks = {asyncio.create_task(part.start(runtime), name=part.name) for part in runtime.parts}
    # Everything loaded so far (libraries, catalog, settings) lives as long as the
    # process: keep it out of the collector's full passes, which otherwise walk the
    # whole heap and show up as latency spikes under load.
    await asyncio.sleep(0)
    gc.freeze()
    stop = asyncio.create_task(runtime.stopping.wait(), name="stop-signal")
    # The console ends the process when its user leaves; other parts run until stopped.
    # Any part that stops ends the process: a half-running bot is worse than none.
    done, pending = await asyncio.wait({*tasks, stop}, return_when=asyncio.FIRST_COMPLETED)
    if stop in done:
        log.info("stop requested: finishing work in flight")
    runtime.stopping.set()
    stop.cancel()
    await _drain(runtime.parts)
    for task in pending:
        task.cancel()
    _, stuck = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S) if pending else ((), ())
    for task in stuck:
        log.warning("%s did not stop within %.0fs", task.get_name(), SHUTDOWN_GRACE_S)
    for task in done:
        if task is not stop and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    log.info("stopped")


async def _drain(parts: list[Part]) -> None:
    drains = [asyncio.create_task(part.drain(), name=f"drain-{part.name}") for part in parts]
    _, late = await asyncio.wait(drains, timeout=DRAIN_S)
    for task in late:
        task.cancel()
    if late:
        log.warning("%d part(s) still had work after %.0fs; stopping them", len(late), DRAIN_S)


def startup_problems(settings: Settings) -> list[str]:
    """Settings that can't work together; checked before anything starts."""
    problems = []
    if slack_enabled(settings):
        try:
            load_slack_config(settings)
        except SlackConfigError as exc:
            problems.append(str(exc))
    if not settings.mail.smtp_url:
        outbox = settings.mail.outbox_dir
        try:
            private_dir(outbox)
            probe = outbox / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            problems.append(f"OUTBOX_DIR {outbox} is not writable: {exc.strerror}")
    weak_key = secret_key_problem(settings)
    if weak_key:
        problems.append(weak_key)
    unlawful_mail = mail_problem(settings)
    if unlawful_mail:
        problems.append(unlawful_mail)
    return problems


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
