"""The built wheel, installed as a user would, works from a folder that is not the checkout.

Everything else in the suite runs from the checkout (an editable install), where files
beside the code are always found; this test is the one that sees what a wheel ships.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ops.process import clean_env, start_bot

ROOT = Path(__file__).resolve().parents[2]
# What a source distribution would leave out; copying keeps build/ and egg-info out of the checkout.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "outbox", "preview", "*.db*"
)


@dataclass(frozen=True)
class Installed:
    venv: Path

    def script(self) -> str:
        return str(self.venv / "bin" / "shiporskip")


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel and install it, with the locked dependencies, into a fresh venv (once)."""
    root = tmp_path_factory.mktemp("wheel")
    source, dist, venv = root / "source", root / "dist", root / "venv"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), "."], source)
    wheels = list(dist.glob("shiporskip-*.whl"))
    assert len(wheels) == 1, wheels
    # uv (a dev dependency) makes the venv and installs the lock in seconds, from its cache.
    uv = str(Path(sys.executable).parent / "uv")
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], root)
    python = ["--python", str(venv / "bin" / "python")]
    _run([uv, "pip", "install", "--quiet", *python, "-r", str(ROOT / "requirements.lock")], root)
    _run([uv, "pip", "install", "--quiet", *python, "--no-deps", str(wheels[0])], root)
    return Installed(venv)


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the commands run: nothing of the checkout in it, nor on the import path."""
    folder = tmp_path / "empty"
    folder.mkdir()
    for variable in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"):
        monkeypatch.delenv(variable, raising=False)
    yield folder


def shiporskip(
    installed: Installed, folder: Path, url: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = clean_env(DATABASE_URL=url, OUTBOX_DIR=str(folder / "outbox"), HOME=str(folder))
    env["COLUMNS"] = "200"
    return subprocess.run(
        [installed.script(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=120,
    )


def test_the_wheel_imports_from_site_packages_only(installed: Installed, empty_folder: Path):
    """Every package of ours comes from the venv, none from the checkout."""
    code = "import json, bot, db, digest, templates; print(json.dumps([m.__file__ for m in (bot, db, digest, templates)]))"
    done = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=empty_folder,
    )
    assert done.returncode == 0, done.stderr
    for path in json.loads(done.stdout):
        assert Path(path).is_relative_to(installed.venv), path
        assert not Path(path).is_relative_to(ROOT), path


def test_the_installed_wheel_chats_previews_sends_and_serves(
    installed: Installed, empty_folder: Path, process_url: str
):
    """Piped chat, digest preview, subscriber import, digest send and `run`, from an empty folder."""
    folder = empty_folder
    assert not any(folder.iterdir())

    chat = shiporskip(
        installed, folder, process_url, "chat", stdin="/compare claude 4 sonnet vs smolvlm2\n"
    )
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith("Claude 4 Sonnet vs SmolVLM2 Turbo\n"), chat.stdout
    assert "Panel verdict: Claude 4 Sonnet: Ship · 4 ship / 0 skip" in chat.stdout

    preview = shiporskip(installed, folder, process_url, "digest", "preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    htmls = list((folder / "preview").glob("digest-*.html"))
    assert len(htmls) == 1 and "<html" in htmls[0].read_text()

    (folder / "x.csv").write_text("email\nada@example.com\ngrace@example.com\n")
    imported = shiporskip(
        installed, folder, process_url, "subscribers", "import", "x.csv", "--confirmed"
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "imported 2 (confirmed)" in imported.stdout

    # 2026-W21: the demo catalog's reviews (the last full week has no news, so no mail).
    sent = shiporskip(installed, folder, process_url, "digest", "send", "--week", "2026-W21")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "2 sent" in sent.stdout
    emails = list((folder / "outbox").rglob("*.eml"))
    assert len(emails) == 2, emails

    bot = start_bot(folder, process_url, [installed.script(), "run"], HTTP_HOST="127.0.0.1")
    try:
        answers = {path: bot.get(path) for path in ("/subscribe", "/digests", "/readyz")}
    finally:
        code, _ = bot.stop(signal.SIGTERM)
    for path, (status, body) in answers.items():
        assert status == 200, f"{path}: {status} {body[:2000]}\n{bot.log()}"
    assert json.loads(answers["/readyz"][1])["checks"]["templates"]["ok"] is True
    assert code == 0, bot.log()
