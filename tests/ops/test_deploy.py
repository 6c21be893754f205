"""Deploy files: every setting documented, and the image's exact command really runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path

from bot.settings import describe_settings, load_settings
from tests.ops.process import start_bot

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def all_variables() -> list[str]:
    return [name for name, _, _ in describe_settings(load_settings(env_file=None))]


def test_every_setting_is_in_env_example_and_readme():
    example = (DEPLOY / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in all_variables():
        assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), (
            f"{variable} not in .env.example"
        )
        assert f"| `{variable}` |" in readme, f"{variable} not in README's configuration table"


def dockerfile_command() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.MULTILINE).group(1))
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))
    return [*entrypoint, *cmd]


def test_dockerfile_runs_as_non_root_from_a_slim_base():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert re.search(r"^USER shiporskip$", text, re.MULTILINE)
    assert dockerfile_command() == ["shiporskip", "run"]


def test_systemd_unit_runs_the_same_command():
    unit = (DEPLOY / "shiporskip.service").read_text()
    assert re.search(r"^ExecStart=\S+/shiporskip run$", unit, re.MULTILINE)
    assert re.search(r"^ExecStartPre=\S+/shiporskip db upgrade$", unit, re.MULTILINE)
    assert "KillSignal=SIGTERM" in unit


def test_the_image_command_starts_headless_and_stops_on_sigterm(tmp_path: Path):
    """The Dockerfile's ENTRYPOINT + CMD, run as the container would (no terminal)."""
    command = dockerfile_command()
    executable = shutil.which(
        command[0], path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    )
    assert executable, "the shiporskip console script is installed"
    bot = start_bot(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'data.db'}", [executable, *command[1:]]
    )
    status, _ = bot.get("/healthz")
    code, took = bot.stop(signal.SIGTERM)
    assert status == 200
    assert code == 0 and took < 10, bot.log()


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_image_installs_the_built_wheel_over_the_lock_file():
    """A wheel is built and installed with --no-deps over requirements.lock; never editable."""
    text = (DEPLOY / "Dockerfile").read_text()
    assert not re.search(r"pip install[^\n]* -e\b", text), "the image must not install editable"
    assert re.search(r"pip wheel [^\n]*--no-deps", text)
    assert re.search(r"pip install [^\n]*-r /tmp/requirements\.lock", text)
    assert re.search(r"pip install [^\n]*--no-deps /wheels/shiporskip-\*\.whl", text)
    # The final stage carries the venv only, not the sources the wheel was built from.
    final = text.rsplit("\nFROM ", 1)[1]
    assert "COPY --from=venv /opt/shiporskip /opt/shiporskip" in final
    assert "/src" not in final and "COPY bot" not in final


def test_the_image_copies_every_package_and_the_lock_past_dockerignore():
    """Each package pyproject ships is copied into the build, and .dockerignore keeps it."""
    text = (DEPLOY / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (?!--from)(\S+)", text, re.MULTILINE))
    pyproject = (ROOT / "pyproject.toml").read_text()
    include = re.search(r"^include = \[(.*)\]$", pyproject, re.MULTILINE).group(1)
    packages = {name.strip(' "*') for name in include.split(",")}
    assert packages == {"bot", "db", "digest", "templates"}
    assert packages | {"requirements.lock", "pyproject.toml"} <= copied, copied
    ignored = _dockerignore()
    for name in copied:
        assert (ROOT / name).exists(), f"Dockerfile copies {name}, which is not in the repo"
        assert name not in ignored, f".dockerignore drops {name}, which the image needs"
    assert {".git", ".venv", ".env"} <= set(ignored)


def test_compose_publishes_no_fixed_host_port_so_the_bot_scales():
    """`docker compose up --scale bot=2` needs each copy to get its own host port."""
    from ruamel.yaml import YAML

    compose = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        assert "container_name" not in service, f"{name}: a fixed name stops a second copy"
        for port in service.get("ports", []):
            assert ":" not in str(port), f"{name}: fixed host port {port} stops a second copy"
    assert compose["services"]["bot"]["ports"] == ["8080"]
