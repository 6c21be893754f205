"""Settings: read once, validated with one clear line per problem, secrets masked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, describe_settings, load_settings


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("DATABASE_", "DISCORD_", "SLACK_", "SMTP_", "DIGEST_", "HTTP_")):
            monkeypatch.delenv(key)
    settings = load_settings(env_file=None)
    assert settings.database.url == "sqlite+aiosqlite:///./shiporskip.db"
    assert settings.http.host == "127.0.0.1" and settings.http.port == 8080
    assert settings.discord.token is None and settings.mail.smtp_url is None
    assert settings.digest.timezone == "UTC"


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    env = tmp_path / ".env"
    env.write_text("HTTP_PORT=9999\nDISCORD_TOKEN=abc.def\n")
    monkeypatch.delenv("HTTP_PORT", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    settings = load_settings(env_file=env)
    assert settings.http.port == 9999
    assert settings.discord.token is not None


def test_every_invalid_value_is_reported(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTP_PORT", "eighty")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.setenv("DIGEST_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("SMTP_URL", "http://mail")
    with pytest.raises(SettingsError) as info:
        load_settings(env_file=None)
    variables = {p.split(":")[0] for p in info.value.problems}
    assert variables == {"HTTP_PORT", "DATABASE_URL", "DIGEST_TIMEZONE", "SMTP_URL"}


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "very-secret-value")
    rows = {name: value for name, value, _ in describe_settings(load_settings(env_file=None))}
    assert rows["SLACK_SIGNING_SECRET"] == "********"
    assert "very-secret-value" not in str(rows)


def test_config_check_command_exits_non_zero_on_bad_values(tmp_path: Path):
    env = dict(
        os.environ,
        HTTP_PORT="-5",
        DISCORD_TOKEN="tok-123456",
        SECRET_KEY="settings-test-Zr8pQ2vL5nX1cW7kT4bM9dH3",
    )
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "HTTP_PORT" in bad.stderr and bad.stderr.count("invalid setting") == 1
    env["HTTP_PORT"] = "8081"
    good = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert "tok-123456" not in good.stdout and "DISCORD_TOKEN" in good.stdout
