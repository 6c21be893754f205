"""Start the real `shiporskip run` process for tests and talk to it over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp

# `run` refuses the public default key once anything is exposed (tests/bot/test_secret_key.py).
TEST_SECRET_KEY = "ops-tests-9fQ2xW7LmZ4kT1vB8nR3sY6dH0jP5cAe"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def spawn_run(
    env: Mapping[str, str],
    *,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = asyncio.subprocess.PIPE,
    cwd: Path | None = None,
) -> asyncio.subprocess.Process:
    """`shiporskip run` as an asyncio child: headless, since its standard input is not a tty."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        # Benches pass os.environ plus their own: a strong key unless they chose one.
        env={"SECRET_KEY": TEST_SECRET_KEY, **env},
        cwd=cwd,
    )


async def wait_healthy(http: aiohttp.ClientSession, base: str, within_s: float = 30) -> None:
    """Until GET /healthz answers 200; the process is still starting before that."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not become healthy within {within_s:.0f} s")


@dataclass
class BotProcess:
    process: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started


async def stop_all(processes: list[asyncio.subprocess.Process], logs: list[Path]) -> None:
    """SIGTERM each; every one must exit 0 within 15 s (the failure shows their logs)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    codes = [await asyncio.wait_for(p.wait(), 15) for p in processes]
    assert codes == [0] * len(processes), [log.read_text() for log in logs]


async def kill_leftovers(processes: list[asyncio.subprocess.Process]) -> None:
    """Kill whatever is still running (a test that failed before stopping them)."""
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "SLACK_", "SMTP_", "DIGEST_", "DATABASE_", "HTTP_"))
    }
    # `run` refuses the public default key once anything is exposed (tests/bot/test_secret_key.py).
    env["SECRET_KEY"] = TEST_SECRET_KEY
    env.update(extra)
    return env


def start_bot(
    tmp_path: Path, database_url: str, command: list[str] | None = None, **env: Any
) -> BotProcess:
    """Run `shiporskip run` headless (no terminal) and wait until /healthz answers."""
    port = free_port()
    log_path = tmp_path / f"bot-{port}.log"
    environment = clean_env(
        DATABASE_URL=database_url,
        HTTP_PORT=str(port),
        OUTBOX_DIR=str(tmp_path / "outbox"),
        HOME=str(tmp_path),
        **{k: str(v) for k, v in env.items()},
    )
    log_file = log_path.open("w")
    process = subprocess.Popen(
        command or [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=tmp_path,
        text=True,
    )
    bot = BotProcess(process, port, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bot exited with {process.returncode}:\n{bot.log()}")
        try:
            if bot.get("/healthz")[0] == 200:
                return bot
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"bot did not start:\n{bot.log()}")
