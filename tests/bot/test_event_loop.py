"""Which event loop `shiporskip run` runs on (bot.event_loop)."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from bot.event_loop import EventLoopUnavailable, loop_factory, loop_name, run_on
from bot.settings import AppSettings


async def _running_loop() -> str:
    return loop_name(asyncio.get_running_loop())


def test_auto_and_uvloop_run_on_uvloop() -> None:
    assert loop_factory("auto") is uvloop.new_event_loop
    assert run_on("auto", _running_loop) == "uvloop"
    assert run_on("uvloop", _running_loop) == "uvloop"


def test_asyncio_keeps_pythons_own_loop() -> None:
    assert loop_factory("asyncio") is None
    assert run_on("asyncio", _running_loop) == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes the import fail, as on a machine without uvloop.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert loop_factory("auto") is None
    assert run_on("auto", _running_loop) == "asyncio"
    called: list[bool] = []

    async def main() -> None:
        called.append(True)

    with pytest.raises(EventLoopUnavailable, match="EVENT_LOOP=uvloop"):
        run_on("uvloop", main)
    # Refused before the loop existed: the coroutine was never even made.
    assert called == []


@pytest.mark.parametrize(("raw", "expected"), [("AUTO", "auto"), (" uvloop ", "uvloop")])
def test_the_setting_is_read_loosely(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: str
) -> None:
    monkeypatch.setenv("EVENT_LOOP", raw)
    assert AppSettings().event_loop == expected


def test_an_unknown_loop_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_LOOP", "trio")
    with pytest.raises(ValueError, match="event_loop"):
        AppSettings()


def test_uvloop_where_it_is_missing_is_refused_with_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    monkeypatch.setenv("EVENT_LOOP", "uvloop")
    with pytest.raises(ValueError, match="uvloop is not installed"):
        AppSettings()
    monkeypatch.setenv("EVENT_LOOP", "auto")
    assert AppSettings().event_loop == "auto"
