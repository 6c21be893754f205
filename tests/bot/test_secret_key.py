"""The attack: run with the public default (or a guessable) SECRET_KEY and forge links.

`run` and `config check` refuse such a key, exit 2 with one line, whenever anything is
exposed; `config check` never prints a secret, not even one inside a URL.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import (
    DEFAULT_SECRET_KEY,
    AppSettings,
    mask_url_password,
)
from bot.slack_bot.tokens import TokenCipher
from tests.ops.process import clean_env

STRONG = "q8Vd2LxN7rT4yB1mK6sW9zC3fH5jP0aE"
WEAK = {
    "default": DEFAULT_SECRET_KEY,
    "short": "s3cr3t-but-short",
    "repeated": "a" * 48,
    "periodic": "abcdefgh" * 6,
}
EXPOSURES = {
    "https": {"PUBLIC_URL": "https://sos.example"},
    "smtp": {"SMTP_URL": "smtp://127.0.0.1:2525"},
    "discord": {"DISCORD_TOKEN": "abc.def.ghi"},
    "slack": {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
}


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = clean_env(**{"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize("command", [("run",), ("config", "check")])
@pytest.mark.parametrize("weakness", sorted(WEAK))
def test_weak_key_is_refused_when_exposed(tmp_path: Path, command: tuple[str, ...], weakness: str):
    done = _cli(tmp_path, *command, SECRET_KEY=WEAK[weakness], **EXPOSURES["https"])
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SECRET_KEY" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert WEAK[weakness] not in done.stderr + done.stdout


@pytest.mark.parametrize("exposure", sorted(EXPOSURES))
def test_default_key_is_refused_for_every_exposure(tmp_path: Path, exposure: str):
    done = _cli(tmp_path, "config", "check", SECRET_KEY=DEFAULT_SECRET_KEY, **EXPOSURES[exposure])
    assert done.returncode == 2 and "SECRET_KEY" in done.stderr


def test_default_key_is_fine_on_loopback_with_nothing_configured(tmp_path: Path):
    done = _cli(tmp_path, "config", "check", SECRET_KEY=DEFAULT_SECRET_KEY)
    assert done.returncode == 0, done.stderr


def test_strong_key_is_accepted_when_exposed(tmp_path: Path):
    done = _cli(tmp_path, "config", "check", SECRET_KEY=STRONG, **EXPOSURES["https"])
    assert done.returncode == 0, done.stderr


def test_config_check_masks_every_secret(tmp_path: Path):
    secrets = ["pg-pass-7781", "smtp-pass-4410", "client-secret-9", "xoxb-bot-1", STRONG, "old-k"]
    done = _cli(
        tmp_path,
        "config",
        "check",
        DATABASE_URL="postgresql+asyncpg://app:pg-pass-7781@db.internal:5432/sos",
        SMTP_URL="smtps://mailer:smtp-pass-4410@mail.example:465",
        MAIL_POSTAL_ADDRESS="1 Test Street, Testville",
        SLACK_CLIENT_ID="123.456",
        SLACK_CLIENT_SECRET="client-secret-9",
        SLACK_BOT_TOKEN="xoxb-bot-1",
        SLACK_SIGNING_SECRET="sign",
        SECRET_KEY=STRONG,
        SECRET_KEY_PREVIOUS="old-k",
        COLUMNS="400",
    )
    assert done.returncode == 0, done.stderr
    for secret in secrets:
        assert secret not in done.stdout
    assert "mailer:********@mail.example" in done.stdout


def test_url_password_masking_keeps_the_rest():
    assert mask_url_password("smtp://u:p%40ss@h:25") == "smtp://u:********@h:25"
    assert mask_url_password("smtp://h:25") == "smtp://h:25"
    assert mask_url_password("not a url") == "not a url"


def test_secret_keys_lists_current_then_previous():
    app = AppSettings(  # type: ignore[call-arg]
        _env_file=None, secret_key=SecretStr(STRONG), secret_key_previous=SecretStr("old-key")
    )
    assert app.secret_keys == [STRONG, "old-key"]


def test_slack_tokens_survive_a_key_rotation():
    """Stored under the old key, read after rotating with SECRET_KEY_PREVIOUS set."""
    stored = TokenCipher("old-key").encrypt("xoxb-secret")
    assert TokenCipher(STRONG, "old-key").decrypt(stored) == "xoxb-secret"
    assert TokenCipher(STRONG).decrypt(stored) is None
    # New writes use the new key: readable once the previous key is dropped.
    fresh = TokenCipher(STRONG, "old-key").encrypt("xoxb-secret")
    assert TokenCipher(STRONG).decrypt(fresh) == "xoxb-secret"
