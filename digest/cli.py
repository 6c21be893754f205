"""`shiporskip digest ...` and `shiporskip subscribers ...`."""

from __future__ import annotations

import csv
import gc
import sys
import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.event_loop import run_on
from bot.settings import Settings
from db.engine import Database
from digest.weeks import Week, last_complete_week, parse_week

if TYPE_CHECKING:
    from digest.issues import Issue
    from digest.pipeline import DigestDeps

digest_app = typer.Typer(no_args_is_help=True, help="The weekly verdict digest.")
subscribers_app = typer.Typer(no_args_is_help=True, help="Email subscribers of the digest.")
out = Console(soft_wrap=True)
# Line-oriented output (file:line: problem) must stay one line each for grep and scripts.
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Allow the current week, a future week or a week before any data.",
    ),
]
SAMPLE_READER = "reader@example.com"  # who the preview pretends to be sent to
WeekOption = Annotated[
    str | None, typer.Option("--week", help="ISO week like 2026-W47; default: last full week.")
]


def _settings() -> Settings:
    from bot.cli import settings_or_exit

    return settings_or_exit()


def _week(settings: Settings, value: str | None) -> Week:
    zone = settings.digest.timezone
    if value is None:
        return last_complete_week(zone=zone)
    try:
        return parse_week(value, zone)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


class WeekRefused(Exception):
    """The week must not be built or sent (see digest.weeks.week_problem)."""


async def _check_week(database: Database, week: Week, force: bool) -> None:
    from datetime import UTC, datetime

    from db.queries.week_activity import first_activity_day
    from digest.weeks import week_problem

    if force:
        return
    async with database.read() as session:
        first_day = await first_activity_day(session)
    problem = week_problem(week, datetime.now(UTC), first_day)
    if problem:
        raise WeekRefused(problem)


def _refuse(exc: WeekRefused) -> typer.Exit:
    err.print(f"[red]refused[/red] {exc} (--force to build it anyway)", highlight=False)
    return typer.Exit(2)


def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    from db.migrate import upgrade

    async def main() -> T:
        database = Database(settings.database.url)
        try:
            await upgrade(database)
            return await work(database)
        finally:
            await database.dispose()

    # A digest send is a long stream of SMTP writes: on uvloop, as `run` (bot.event_loop).
    return run_on(settings.app.event_loop, main)


@digest_app.command("preview")
def preview(
    week: WeekOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")] = Path("preview"),
    open_browser: Annotated[bool, typer.Option("--open", help="Open the HTML.")] = False,
) -> None:
    """Write the issue's HTML and text to files, without storing or sending anything."""
    from digest.issues import find_issue
    from digest.message import personalise_html, personalise_text
    from digest.personal import VoteLinks
    from digest.render import render_issue
    from digest.snapshot import build_snapshot
    from digest.vote_tokens import VoteTokens

    settings = _settings()
    target = _week(settings, week)

    async def work(database: Database) -> tuple[str, str, str]:
        stored = await find_issue(database, target.label)
        snapshot = stored.snapshot if stored else await build_snapshot(database, target)
        rendered = render_issue(
            snapshot, settings.app.public_url, settings.mail.mail_postal_address
        )
        # A sample reader, so the preview looks like what lands in an inbox.
        sample_url = f"{settings.app.public_url}/unsubscribe/preview"
        marks = rendered.placeholders
        # Unsigned: the preview's Ship/Skip links open the tool's page.
        votes = VoteLinks(
            settings.app.public_url,
            target.label,
            VoteTokens(settings.app.secret_keys),
            rendered.vote_slugs,
        )(None)
        page = personalise_html(rendered.html, SAMPLE_READER, sample_url, marks, votes)
        text = personalise_text(rendered.text, SAMPLE_READER, sample_url, marks, votes)
        return rendered.subject, page, text

    subject, html, text = _with_database(settings, work)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"digest-{target.label}.html"
    text_path = out_dir / f"digest-{target.label}.txt"
    html_path.write_text(html, encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    out.print(f"{subject}\nwrote {html_path} ({len(html.encode()):,} bytes) and {text_path}")
    if open_browser:
        webbrowser.open(html_path.resolve().as_uri())


@digest_app.command("build")
def build(week: WeekOption = None, force: ForceOption = False) -> None:
    """Store the week's snapshot (once; an existing issue is left as it is).

    The current week, future weeks and weeks before any data are refused without --force.
    """
    from digest.issues import ensure_issue

    settings = _settings()
    target = _week(settings, week)

    async def work(database: Database) -> tuple[Issue, bool]:
        await _check_week(database, target, force)
        return await ensure_issue(database, target)

    try:
        issue, built = _with_database(settings, work)
    except WeekRefused as exc:
        raise _refuse(exc) from None
    state = "built" if built else "already built"
    out.print(f"{issue.week} {state}: {issue.subject}", highlight=False)


@digest_app.command("send")
def send(week: WeekOption = None, force: ForceOption = False) -> None:
    """Deliver the week's issue to every confirmed subscriber (resumes; never sends twice).

    The current week, future weeks and weeks before any data are refused without --force;
    a quiet week (nothing to report) is not mailed.
    """
    from bot.settings import mail_problem
    from digest.delivery import SendSummary, delivery_counts
    from digest.pipeline import send_week
    from digest.runtime import open_digest

    settings = _settings()
    target = _week(settings, week)
    unlawful = mail_problem(settings)
    if unlawful:
        err.print(f"[red]refused[/red] {unlawful}", highlight=False)
        raise typer.Exit(2)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )

    async def work(database: Database) -> tuple[SendSummary, dict[str, int]]:
        await _check_week(database, target, force)
        async with open_digest(database, settings) as deps:
            issue, summary = await _send_with_progress(deps, target)
        return summary, await delivery_counts(database, issue.id)

    async def _send_with_progress(deps: DigestDeps, target: Week) -> tuple[Issue, SendSummary]:
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task(f"sending {target.label}", total=None)

            def progress(summary: SendSummary) -> None:
                bar.update(task, total=summary.total or None, completed=summary.done)

            # Keep start-up objects out of full GC passes during the hot loop.
            gc.freeze()
            issue, summary = await send_week(deps, target, progress=progress)
            bar.update(task, total=summary.total, completed=summary.done)
        return issue, summary

    try:
        summary, counts = _with_database(settings, work)
    except WeekRefused as exc:
        raise _refuse(exc) from None
    if summary.not_mailed:
        out.print(f"{target.label}: not mailed: {summary.not_mailed}", highlight=False)
        return
    out.print(
        f"{target.label}: {summary.sent} sent, {summary.failed} failed, "
        f"{summary.deferred} deferred, {summary.skipped} skipped, {summary.suspended} suspended "
        f"in {summary.seconds:.1f}s",
        highlight=False,
    )
    out.print("issue totals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for line in summary.errors[:20]:
        err.print(line, markup=False, highlight=False)
    if summary.halted:
        err.print(
            f"stopped early, the mail server is unusable: {summary.halted}\n"
            "Nobody was skipped: fix SMTP_URL or the server, then run `shiporskip digest send` "
            "again to deliver the rest.",
            markup=False,
            highlight=False,
        )
    if summary.failed or not summary.finished:
        raise typer.Exit(1)


@subscribers_app.command("import")
def import_subscribers(
    file: Path,
    confirmed: Annotated[
        bool, typer.Option("--confirmed", help="Operator vouches: skip the confirmation email.")
    ] = False,
) -> None:
    """Import addresses from a CSV file (an `email` column, or the first column).

    New addresses get the confirmation email, as a sign-up would, unless --confirmed.
    """
    from digest.runtime import open_digest
    from digest.subscribers import ImportReport, import_csv

    settings = _settings()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"cannot read {file}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None

    async def work(database: Database) -> tuple[ImportReport, list[str]]:
        report = await import_csv(database, text, confirmed=confirmed)
        if confirmed or not report.added:
            return report, []
        async with open_digest(database, settings) as deps:
            return report, await deps.subscriptions().send_confirmations(report.added)

    report, unsent = _with_database(settings, work)
    for line, problem in report.problems:
        err.print(f"{file}:{line}: {problem}", markup=False, highlight=False)
    for address in unsent:
        err.print(f"confirmation email to {address} not sent", markup=False, highlight=False)
    if confirmed:
        state = "confirmed"
    else:
        emailed = report.imported - len(unsent)
        state = f"waiting for confirmation, {emailed} confirmation email(s) sent"
    out.print(
        f"imported {report.imported} ({state}), {report.already} already known, "
        f"{len(report.problems)} bad row(s) skipped",
        highlight=False,
    )
    if report.problems or unsent:
        raise typer.Exit(1)


@subscribers_app.command("export")
def export_subscribers() -> None:
    """Write every subscriber as CSV to standard output."""
    from digest.subscribers import export_rows

    rows = _with_database(_settings(), export_rows)
    writer = csv.writer(sys.stdout)
    writer.writerow(["email", "status", "source", "created_at"])
    writer.writerows(rows)


@subscribers_app.command("forget")
def forget_subscriber(email: str) -> None:
    """Delete one person's data; anonymous delivery counts stay."""
    from digest.subscribers import forget

    if _with_database(_settings(), lambda db: forget(db, email)):
        out.print(f"forgot {email}", highlight=False)
    else:
        err.print(f"no subscriber {email}", markup=False, highlight=False)
        raise typer.Exit(1)
