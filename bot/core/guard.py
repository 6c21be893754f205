"""The one wrapper around every command handler: request id, metrics, a lost database.

Registry dispatch wraps each command in it, and the service's methods carry it too
for callers that skip the registry (button clicks, tests). Only the outermost guard
counts a call, so a command is measured once however it was reached.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot import metrics
from bot.core.context import CommandContext
from bot.core.views import ErrorView, VoteResult
from bot.logging_setup import new_request_id, request_id

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

UNAVAILABLE = ErrorView(
    "unavailable", "The database is not answering right now. Nothing was changed; try again."
)
_inside: ContextVar[bool] = ContextVar("inside_command_guard", default=False)


def database_down(exc: BaseException) -> bool:
    """True when ``exc`` means the database can't be reached (worth a 'try again')."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def guarded(
    command: str, handler: Callable[P, Awaitable[R]]
) -> Callable[P, Awaitable[R | ErrorView]]:
    """``handler`` answering UNAVAILABLE when the database is down, counted as ``command``."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | ErrorView:
        if _inside.get():
            try:
                return await handler(*args, **kwargs)
            except Exception as exc:
                if not database_down(exc):
                    raise
                log.warning("database unavailable during %s: %s", command, exc)
                return UNAVAILABLE
        token = _inside.set(True)
        try:
            return await _measured(command, handler, *args, **kwargs)
        finally:
            _inside.reset(token)

    wrapper.guarded = True  # type: ignore[attr-defined]
    return wrapper


async def _measured(
    command: str, handler: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
) -> R | ErrorView:
    started = time.perf_counter()
    if request_id.get() == "-":
        new_request_id()
    platform = next((a.platform for a in _contexts(args, kwargs)), "internal")
    try:
        result: R | ErrorView = await handler(*args, **kwargs)
    except Exception as exc:
        if not database_down(exc):
            metrics.labelled(metrics.COMMANDS, platform, command, "exception").inc()
            raise
        log.warning("database unavailable during %s: %s", command, exc)
        result = UNAVAILABLE
    metrics.labelled(metrics.COMMAND_SECONDS, command).observe(time.perf_counter() - started)
    outcome = result.code if isinstance(result, ErrorView) else "ok"
    metrics.labelled(metrics.COMMANDS, platform, command, outcome).inc()
    if isinstance(result, VoteResult) and result.outcome != "unchanged":
        metrics.labelled(metrics.VOTES, platform, result.outcome).inc()
    return result


def _contexts(args: tuple[object, ...], kwargs: dict[str, object]) -> list[CommandContext]:
    found = []
    for value in (*args, *kwargs.values()):
        if isinstance(value, CommandContext):
            found.append(value)
        elif isinstance(getattr(value, "ctx", None), CommandContext):
            found.append(value.ctx)  # type: ignore[attr-defined]
    return found


def answers_when_down(
    handler: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R | ErrorView]]:
    """Decorator form for service methods, counted under the method's name."""
    return guarded(handler.__name__.removesuffix("_by_id"), handler)
