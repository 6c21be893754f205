"""The real `shiporskip run` process: headless start, health, metrics, clean stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.process import clean_env, start_bot


def test_headless_run_serves_health_and_stops_on_sigterm(process_url: str, tmp_path: Path):
    """Without a terminal it serves headless; SIGTERM ends it with 0 well within 10 s."""
    bot = start_bot(tmp_path, process_url)
    try:
        status, body = bot.get("/readyz")
        assert status == 200, body
        ready = json.loads(body)
        assert ready["checks"]["database"]["ok"] is True
        assert "digest" in ready["checks"] and "next run" in ready["checks"]["digest"]["detail"]
        status, text = bot.get("/metrics")
        assert status == 200 and "shiporskip_commands_total" in text
        assert "shiporskip_db_pool_in_use" in text
    finally:
        code, took = bot.stop(signal.SIGTERM)
    log = bot.log()
    assert code == 0, log
    assert took < 10
    for part in ("starting web", "starting digest", "stopped"):
        assert part in log
    assert "starting console" not in log


@pytest.mark.parametrize(("setting", "loop"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_run_says_which_event_loop_it_runs_on(tmp_path: Path, setting: str | None, loop: str):
    """uvloop by default (bot.event_loop), asyncio's loop on request; either stops cleanly."""
    env = {"EVENT_LOOP": setting} if setting else {}
    bot = start_bot(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}", **env)
    try:
        status, text = bot.get("/metrics")
        assert status == 200
        assert f'shiporskip_event_loop_info{{loop="{loop}"}} 1.0' in text
        other = "asyncio" if loop == "uvloop" else "uvloop"
        assert f'loop="{other}"' not in text
    finally:
        code, took = bot.stop(signal.SIGTERM)
    assert code == 0 and took < 10, bot.log()
    assert f"event loop: {loop}" in bot.log()


def test_sigint_also_stops_cleanly(tmp_path: Path):
    bot = start_bot(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    code, took = bot.stop(signal.SIGINT)
    assert code == 0 and took < 10, bot.log()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
            "cannot open the database",
        ),
        ({"OUTBOX_DIR": "/proc/version/outbox"}, "OUTBOX_DIR"),
        ({"HTTP_PORT": "-3"}, "HTTP_PORT"),
        ({"EVENT_LOOP": "trio"}, "EVENT_LOOP"),
    ],
    ids=["slack-without-secret", "unreachable-db", "unwritable-outbox", "bad-port", "bad-loop"],
)
def test_inconsistent_settings_refuse_to_start(tmp_path: Path, env: dict[str, str], message: str):
    environment = clean_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", HOME=str(tmp_path)
    )
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode != 0
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
