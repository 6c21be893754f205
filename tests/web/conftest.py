"""The runner's web app on a free port, with limits small enough to test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.core.service import CommandService
from bot.runner import Runtime
from bot.settings import MetricsSettings, Settings
from bot.web.app import bound_port, build_web_app, serve
from bot.web.server_limits import ServerLimits
from db.engine import Database
from tests.digest.conftest import make_settings

LIMITS = ServerLimits(header_timeout_s=1.0, body_timeout_s=1.0, max_connections=20)


@dataclass
class Served:
    app: web.Application
    runtime: Runtime
    base: str
    port: int


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve_app(database: Database, tmp_path: Path) -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(
        *, public_url: str = "https://sos.example", limits: ServerLimits = LIMITS, **metrics: Any
    ) -> Served:
        settings: Settings = make_settings(database.url, smtp_url=None, outbox=tmp_path / "out")
        app_settings = settings.app.model_copy(update={"public_url": public_url})
        if "token" in metrics:
            metrics["token"] = SecretStr(metrics["token"])
        settings = settings.model_copy(
            update={"app": app_settings, "metrics": MetricsSettings.model_construct(**metrics)}
        )
        runtime = Runtime(settings, database, CommandService(database))
        app = build_web_app(runtime, [], limits)
        runner = await serve(app, "127.0.0.1", 0, limits)
        runners.append(runner)
        port = bound_port(runner)
        return Served(app, runtime, f"http://127.0.0.1:{port}", port)

    yield start
    for runner in runners:
        await runner.cleanup()


__all__ = ["LIMITS", "Serve", "Served", "replace"]
