"""`shiporskip chat` over a pipe: the real process, plain text answers, one per command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
/compare claude 4 sonnet vs smolvlm2
/vote cursor ship
/vote cursor skip
/bookmark cursor
/bookmarks
/compare nothing-like-this vs cursor
@everyone /vote
"""


def run_chat(url: str, text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(DATABASE_URL=url, HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_piped_chat_answers_every_line(process_url: str, tmp_path: Path):
    done = run_chat(process_url, SCRIPT, tmp_path)
    assert done.returncode == 0, done.stderr
    answers = done.stdout.split("\n\n")
    out = done.stdout
    assert out.startswith("Claude 4 Sonnet vs SmolVLM2 Turbo\n")
    assert "Panel verdict: Claude 4 Sonnet: Ship · 4 ship / 0 skip" in out
    assert "Builder\n  Claude 4 Sonnet: 84/100 · ship:" in out
    assert "Counted your ship vote for Cursor." in out
    assert "Changed your vote on Cursor to skip." in out
    assert "Bookmarked Cursor." in out
    assert "- Cursor (Developer Tools): Ship · 4 ship / 0 skip" in out
    assert "Error: No tool named “nothing-like-this”." in out
    assert "Error: There is no command '@everyone'." in out
    assert len(answers) >= 7
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal


def test_chat_loads_demo_once_and_keeps_votes(process_url: str, tmp_path: Path):
    run_chat(process_url, "/vote cursor ship\n", tmp_path)
    done = run_chat(process_url, "/tool cursor\n", tmp_path)
    assert "Community: 100% ship · 1 vote" in done.stdout


def test_no_demo_leaves_catalog_empty(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(DATABASE_URL=url, HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--no-demo"],
        input="/tool cursor\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Error: No tool named “cursor”." in done.stdout
