"""`shiporskip status`: configuration, catalog, last digest, next run."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import load_settings
from bot.status import configured, database_facts, next_digest_run
from db.engine import Database


def test_next_run_follows_cron_and_zone(monkeypatch):
    monkeypatch.setenv("DIGEST_CRON", "30 8 * * fri")
    monkeypatch.setenv("DIGEST_TIMEZONE", "Europe/Berlin")
    settings = load_settings(env_file=None)
    upcoming = next_digest_run(settings, datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    assert upcoming is not None
    assert upcoming.astimezone(UTC) == datetime(2026, 11, 27, 7, 30, tzinfo=UTC)


def test_configuration_lines_hide_passwords(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:hunter2@db.internal/sos")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    lines = dict(configured(load_settings(env_file=None)))
    assert "hunter2" not in lines["database"]
    assert lines["slack"] == "on, Socket Mode"


async def test_facts_report_catalog_and_no_digest(demo_database: Database):
    facts = dict(await database_facts(demo_database))
    assert facts["schema"].endswith("up to date")
    assert facts["catalog"].startswith("38 tools, 4 critics, 0 community votes")
    assert facts["last digest"] == "none built yet"


def test_status_command_on_a_fresh_folder(tmp_path: Path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DISCORD_", "SLACK_"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "not created yet" in done.stdout and "next digest" in done.stdout


async def test_a_quiet_week_shows_why_nobody_was_mailed(demo_database: Database):
    """The issue is stored for the archive; status says it was not mailed, and why."""
    from digest.issues import ensure_issue
    from digest.weeks import parse_week

    await ensure_issue(demo_database, parse_week("2026-W02"))  # nothing happened that week
    facts = dict(await database_facts(demo_database))
    assert facts["last digest"].startswith("2026-W02: A quiet week")
    assert facts["deliveries"] == "none: a quiet week is not mailed"
