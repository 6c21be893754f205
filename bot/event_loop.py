"""The event loop `shiporskip run` and the `digest` commands run on: uvloop where it is
installed, else asyncio's.

Everything of an interaction runs on one loop: the gateway's frames, Slack's HTTP
requests, the REST calls, the timers and the tasks in between. uvloop (libuv, in C)
does that scheduling and socket work for less CPU than asyncio's loop, which is Python.
In the throughput bench (``python -m tests.bench throughput``, 200 Discord + 200 Slack
interactions a second on SQLite) it took the bot's p99s from 121 / 144 / 145 ms (Discord
callback, Slack ack, Slack card) to 62 / 73 / 76 ms in the same machine state, and its
CPU per interaction from about 2.8 to 2.4 ms; at 50 + 50 a second, 2.78 → 2.56 ms.

``EVENT_LOOP=asyncio`` keeps asyncio's own loop (to rule the loop out when something
misbehaves); ``uvloop`` insists on uvloop; ``auto`` (the default) uses it when installed
(it is a dependency wherever it builds: not on Windows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
EventLoopChoice = Literal["auto", "uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class EventLoopUnavailable(RuntimeError):
    """EVENT_LOOP=uvloop where uvloop is not installed."""


def loop_factory(choice: EventLoopChoice) -> LoopFactory | None:
    """The factory of the loop to run on; None for asyncio's default loop."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise EventLoopUnavailable(
                "EVENT_LOOP=uvloop, but uvloop is not installed (pip install uvloop), "
                "or use EVENT_LOOP=auto"
            ) from None
        return None
    return uvloop.new_event_loop


def run_on(choice: EventLoopChoice, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` on the loop ``choice`` names (``main`` is called only once
    that loop is there, so a refused choice leaves no coroutine never awaited)."""
    factory = loop_factory(choice)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """ "uvloop" or "asyncio": what this process runs on, for the log and /metrics."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
