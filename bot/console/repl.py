"""The chat loop in a terminal (rich, history, tab completion) or over a pipe (plain text)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from rich.console import Console

from bot.console.render_plain import render_plain
from bot.console.render_rich import render
from bot.core.context import CommandContext
from bot.core.parsing import ALIASES, USAGE
from bot.core.service import CommandService
from bot.logging_setup import new_request_id

HISTORY = Path.home() / ".shiporskip_history"
QUIT = {"quit", "exit", "/quit", "/exit", ":q"}


async def _blocking(read: Callable[..., str], *args: object) -> str:
    """Run a blocking read in a daemon thread.

    asyncio.to_thread would use the default executor, which the loop joins at exit:
    a SIGTERM would then wait for someone to press Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def work() -> None:
        try:
            result = read(*args)
        except BaseException as exc:
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[str], result: str | None, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result or "")


def console_context() -> CommandContext:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return CommandContext(platform="console", workspace="local", user_id=user, user_name=user)


async def chat(
    service: CommandService,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    interactive: bool | None = None,
) -> None:
    """Answer commands until end of input or ``quit``."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if interactive is None:
        interactive = stdin.isatty() and stdout.isatty()
    context = console_context()
    await service.index.refresh(service.database, force=True)
    if interactive:
        await _interactive(service, context, stdout)
    else:
        await _piped(service, context, stdin, stdout)


async def _piped(
    service: CommandService, context: CommandContext, stdin: TextIO, stdout: TextIO
) -> None:
    first = True
    while True:
        line = await _blocking(stdin.readline)
        if not line:
            return
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.casefold() in QUIT:
            return
        new_request_id()
        reply = await service.run(context, line)
        stdout.write(("" if first else "\n") + render_plain(reply) + "\n")
        stdout.flush()
        first = False


async def _interactive(service: CommandService, context: CommandContext, stdout: TextIO) -> None:
    console = Console(file=stdout)
    _setup_readline(service)
    console.print(
        "[bold]Ship or Skip[/bold]: panel verdicts on AI tools. "
        "Try [cyan]/compare claude 4 sonnet vs smolvlm2[/cyan], [cyan]/help[/cyan], "
        "Tab completes tool names, [cyan]quit[/cyan] leaves."
    )
    try:
        while True:
            try:
                line = await _blocking(input, "shiporskip> ")
            except EOFError:
                console.print()
                return
            line = line.strip()
            if not line:
                continue
            if line.casefold() in QUIT:
                return
            new_request_id()
            console.print(render(await service.run(context, line)))
    finally:
        _save_history()


def _setup_readline(service: CommandService) -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: no history, still a working chat
        return
    commands = sorted({*USAGE, *ALIASES})

    def complete(text: str, state: int) -> str | None:
        head, space, rest = text.partition(" ")
        if not space:
            options = [f"/{c} " for c in commands if f"/{c}".startswith("/" + head.lstrip("/"))]
        else:
            # After "vs" or a comma the second tool is being typed.
            for marker in (" vs ", ", "):
                if marker in rest:
                    kept, _, partial = rest.rpartition(marker)
                    prefix = f"{head} {kept}{marker}"
                    break
            else:
                prefix, partial = f"{head} ", rest
            options = [prefix + t.name for t in service.index.autocomplete(partial, 25)]
        return options[state] if state < len(options) else None

    readline.set_completer_delims("")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)


def _save_history() -> None:
    try:
        import readline

        readline.set_history_length(1000)
        readline.write_history_file(HISTORY)
    except (ImportError, OSError):
        pass
