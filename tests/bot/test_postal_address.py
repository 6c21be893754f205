"""CAN-SPAM: real email (SMTP_URL set) is refused without MAIL_POSTAL_ADDRESS."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runner import startup_problems
from bot.settings import load_settings
from tests.bot.test_secret_key import STRONG, _cli

SMTP = "smtp://127.0.0.1:2525"


def test_config_check_refuses_smtp_without_a_postal_address(tmp_path: Path) -> None:
    done = _cli(tmp_path, "config", "check", SECRET_KEY=STRONG, SMTP_URL=SMTP)
    assert done.returncode == 2
    assert "MAIL_POSTAL_ADDRESS is required when SMTP_URL is set" in done.stderr


def test_config_check_shows_the_postal_address(tmp_path: Path) -> None:
    done = _cli(
        tmp_path,
        "config",
        "check",
        SECRET_KEY=STRONG,
        SMTP_URL=SMTP,
        MAIL_POSTAL_ADDRESS="1 Test Street, Testville",
        COLUMNS="400",
    )
    assert done.returncode == 0, done.stderr
    assert "MAIL_POSTAL_ADDRESS" in done.stdout and "1 Test Street, Testville" in done.stdout


def test_run_lists_it_among_the_startup_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("SMTP_URL", SMTP)
    monkeypatch.setenv("MAIL_POSTAL_ADDRESS", "  ")
    problems = startup_problems(load_settings(None))
    assert any("MAIL_POSTAL_ADDRESS is required" in p for p in problems)
    monkeypatch.setenv("MAIL_POSTAL_ADDRESS", "1 Test Street")
    assert not any("MAIL_POSTAL_ADDRESS" in p for p in startup_problems(load_settings(None)))
    # Without SMTP (the outbox folder) nothing leaves the machine: no address needed.
    monkeypatch.delenv("SMTP_URL")
    monkeypatch.setenv("MAIL_POSTAL_ADDRESS", "")
    assert not any("MAIL_POSTAL_ADDRESS" in p for p in startup_problems(load_settings(None)))
