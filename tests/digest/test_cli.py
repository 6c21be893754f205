"""The operator's digest commands, run the way a person types them (typer's runner).

Every command opens the database itself from DATABASE_URL, as in production;
without SMTP_URL the emails land in the outbox folder.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.bootstrap import DEMO_CATALOG
from bot.cli import app
from digest.weeks import week_of
from tests.digest.conftest import PUBLIC_URL
from tests.ops.process import free_port


class Operator:
    """Runs `shiporskip ...` against one database and outbox."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.folder = folder
        self.outbox = folder / "outbox"
        self.env = {
            "DATABASE_URL": database_url,
            "OUTBOX_DIR": str(self.outbox),
            "PUBLIC_URL": PUBLIC_URL,
            "SECRET_KEY": "cli-test-secret-cli-test-secret",
            "SMTP_URL": "",
            "MAIL_POSTAL_ADDRESS": "1 Test Street, Testville",
            "LOG_LEVEL": "WARNING",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)

    def emails(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found

    def subscribers(self) -> dict[str, str]:
        result = self("subscribers", "export")
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        return {row["email"]: row["status"] for row in rows}


@pytest.fixture
def operator(process_url: str, tmp_path: Path) -> Operator:
    """An operator whose database holds the demo catalog: reviews from 2025-01 to 2026-W21."""
    found = Operator(process_url, tmp_path)
    loaded = found("catalog", "import", str(DEMO_CATALOG))
    assert loaded.exit_code == 0, loaded.output
    return found


def write_csv(folder: Path, text: str) -> Path:
    path = folder / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reports_bad_rows_by_line_and_emails_the_rest(operator: Operator) -> None:
    people = write_csv(
        operator.folder,
        "name,email\n"
        "Ada,ada@example.com\n"
        "Bob,not-an-email\n"
        "\n"
        "Ada again,ADA@Example.com\n"
        "Cy\n"
        "Dee,dee@example.org\n",
    )
    result = operator("subscribers", "import", str(people))
    assert result.exit_code == 1  # bad rows are worth a non-zero exit for scripts
    assert f"{people}:3: “not-an-email” is not an email address" in result.stderr
    assert f"{people}:6: no email column" in result.stderr
    assert result.stdout.strip() == (
        "imported 2 (waiting for confirmation, 2 confirmation email(s) sent), "
        "0 already known, 2 bad row(s) skipped"
    )
    assert operator.subscribers() == {"ada@example.com": "pending", "dee@example.org": "pending"}
    sent = {str(m["To"]): m.get_body(("plain",)).get_content() for m in operator.emails()}
    assert set(sent) == {"ada@example.com", "dee@example.org"}
    assert all(f"{PUBLIC_URL}/confirm/" in body for body in sent.values())

    again = operator("subscribers", "import", str(people))
    assert "imported 0" in again.stdout and "2 already known" in again.stdout
    assert len(operator.emails()) == 2  # nobody is asked twice


def test_an_operator_can_vouch_for_an_import(operator: Operator) -> None:
    people = write_csv(operator.folder, "zed@example.com\nyan@example.com\n")
    result = operator("subscribers", "import", str(people), "--confirmed")
    assert result.exit_code == 0, result.output
    assert "imported 2 (confirmed), 0 already known, 0 bad row(s) skipped" in result.stdout
    assert operator.subscribers() == {
        "zed@example.com": "confirmed",
        "yan@example.com": "confirmed",
    }
    assert operator.emails() == []


def test_a_missing_or_unreadable_file_changes_nothing(operator: Operator) -> None:
    result = operator("subscribers", "import", str(operator.folder / "nope.csv"))
    assert result.exit_code == 2 and "cannot read" in result.stderr
    binary = operator.folder / "binary.csv"
    binary.write_bytes(b"\xff\xfe\xfa not text")
    assert operator("subscribers", "import", str(binary)).exit_code == 2
    assert operator.subscribers() == {}


def test_forget_deletes_one_person_and_says_when_there_is_nobody(operator: Operator) -> None:
    people = write_csv(operator.folder, "ann@example.com\nben@example.com\n")
    operator("subscribers", "import", str(people), "--confirmed")
    gone = operator("subscribers", "forget", "ANN@example.com")
    assert gone.exit_code == 0 and "forgot ANN@example.com" in gone.stdout
    assert operator.subscribers() == {"ben@example.com": "confirmed"}
    nobody = operator("subscribers", "forget", "ann@example.com")
    assert nobody.exit_code == 1 and "no subscriber ann@example.com" in nobody.stderr


def test_preview_writes_what_a_reader_would_see(operator: Operator) -> None:
    out = operator.folder / "preview"
    result = operator("digest", "preview", "--week", "2026-W21", "--out", str(out))
    assert result.exit_code == 0, result.output
    subject = result.stdout.splitlines()[0]
    assert subject and "2026-W21" not in subject and len(subject) <= 60
    html = (out / "digest-2026-W21.html").read_text()
    text = (out / "digest-2026-W21.txt").read_text()
    for part in (html, text):
        assert "SOS-PERSONAL" not in part
        assert "reader@example.com" in part
        assert f"{PUBLIC_URL}/unsubscribe/preview" in part
    assert html.lstrip().lower().startswith("<!doctype html")
    # A preview stores nothing: the issue is still to be built.
    assert operator("digest", "build", "--week", "2026-W21").stdout.startswith("2026-W21 built: ")


def test_build_once_then_send_to_every_confirmed_subscriber(operator: Operator) -> None:
    people = write_csv(operator.folder, "a@example.com\nb@example.com\n")
    operator("subscribers", "import", str(people), "--confirmed")
    operator("subscribers", "import", str(write_csv(operator.folder, "p@example.com\n")))
    first = operator("digest", "build", "--week", "2026-W21")
    second = operator("digest", "build", "--week", "2026-W21")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout.startswith("2026-W21 built: ")
    assert second.stdout.startswith("2026-W21 already built: ")

    sent = operator("digest", "send", "--week", "2026-W21")
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith(
        "2026-W21: 2 sent, 0 failed, 0 deferred, 0 skipped, 0 suspended in "
    )
    assert "issue totals: sent 2" in sent.stdout
    digests = [m for m in operator.emails() if "List-Unsubscribe" in m]
    assert sorted(str(m["To"]) for m in digests) == ["a@example.com", "b@example.com"]
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in digests)

    again = operator("digest", "send", "--week", "2026-W21")
    assert again.stdout.startswith("2026-W21: 0 sent")
    assert len([m for m in operator.emails() if "List-Unsubscribe" in m]) == 2


def test_digest_commands_run_on_the_loop_they_are_told(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EVENT_LOOP as for `run`: asyncio's loop on request; uvloop refused, clearly and
    before anything is built, where it is not installed."""
    operator.env["EVENT_LOOP"] = "asyncio"
    built = operator("digest", "build", "--week", "2026-W21")
    assert built.exit_code == 0 and built.stdout.startswith("2026-W21 built: "), built.output
    # None in sys.modules makes the import fail, as on a machine without uvloop.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    operator.env["EVENT_LOOP"] = "uvloop"
    refused = operator("digest", "send", "--week", "2026-W21")
    assert refused.exit_code == 2
    assert "EVENT_LOOP=uvloop, but uvloop is not installed" in refused.output
    assert operator.emails() == []


@pytest.mark.parametrize("week", ["2026-W54", "last week", "2026-13"])
def test_a_bad_week_is_refused_before_anything_happens(operator: Operator, week: str) -> None:
    for command in ("preview", "build", "send"):
        result = operator("digest", command, "--week", week)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.strip() and "Traceback" not in result.output
    assert not (operator.folder / "preview").exists()
    assert operator.emails() == []


def _week_from_now(weeks: int) -> str:
    return week_of(datetime.now(UTC) + timedelta(weeks=weeks)).label


@pytest.mark.parametrize(
    ("week", "why"),
    [
        (None, "is the current week"),
        (1, "is in the future"),
        (None, "ends before the first data"),
    ],
    ids=["current", "future", "1999"],
)
def test_build_and_send_refuse_weeks_without_a_full_week_of_data(
    operator: Operator, week: int | None, why: str
) -> None:
    """The current week, a future week and 1999 are refused (exit 2), unless --force."""
    label = "1999-W10" if "first data" in why else _week_from_now(week or 0)
    operator(
        "subscribers", "import", str(write_csv(operator.folder, "a@x.example\n")), "--confirmed"
    )
    for command in ("build", "send"):
        result = operator("digest", command, "--week", label)
        assert result.exit_code == 2, (command, result.output)
        assert why in result.stderr and "--force" in result.stderr
    assert operator("digest", "build", "--week", label).exit_code == 2
    assert operator.emails() == []
    forced = operator("digest", "build", "--week", label, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.startswith(f"{label} built: ")


def test_a_quiet_week_is_built_but_not_mailed(operator: Operator) -> None:
    """2026-W02 had no activity in the demo data: stored for the archive, nobody emailed."""
    operator(
        "subscribers", "import", str(write_csv(operator.folder, "a@x.example\n")), "--confirmed"
    )
    result = operator("digest", "send", "--week", "2026-W02")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2026-W02: not mailed: a quiet week")
    assert operator.emails() == []


def test_send_refuses_smtp_without_a_postal_address(operator: Operator) -> None:
    """Real email needs MAIL_POSTAL_ADDRESS (CAN-SPAM); the outbox does not."""
    operator.env["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    operator.env["MAIL_POSTAL_ADDRESS"] = ""
    result = operator("digest", "send", "--week", "2026-W21")
    assert result.exit_code == 2
    assert "MAIL_POSTAL_ADDRESS is required when SMTP_URL is set" in result.stderr


def test_an_smtp_outage_keeps_the_import_and_names_who_got_no_email(
    operator: Operator,
) -> None:
    operator.env["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    people = write_csv(operator.folder, "gil@example.com\n")
    result = operator("subscribers", "import", str(people))
    assert result.exit_code == 1
    assert "confirmation email to gil@example.com not sent" in result.stderr
    assert "imported 1 (waiting for confirmation, 0 confirmation email(s) sent)" in result.stdout
    operator.env["SMTP_URL"] = ""
    assert operator.subscribers() == {"gil@example.com": "pending"}


def test_send_stops_early_and_says_so_when_the_mail_server_is_down(operator: Operator) -> None:
    operator(
        "subscribers", "import", str(write_csv(operator.folder, "a@x.example\n")), "--confirmed"
    )
    operator.env["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    result = operator("digest", "send", "--week", "2026-W21")
    assert result.exit_code == 1
    assert "stopped early, the mail server is unusable: cannot use the SMTP server" in result.stderr
    assert "Nobody was skipped" in result.stderr
    assert "0 sent, 0 failed, 1 deferred" in result.stdout
