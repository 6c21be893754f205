"""`shiporskip status`: what is configured, the last digest and the next scheduled run."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from bot.settings import Settings
from db.engine import Database
from db.migrate import current_revision, head_revision
from db.queries.health import catalog_size

Row = tuple[str, str]


def configured(settings: Settings) -> list[Row]:
    """One line per part: enabled or not, and where it listens or connects."""
    discord, slack, mail = settings.discord, settings.slack, settings.mail
    if discord.token:
        shards = (
            f"shards {discord.shard_ids or 'all'} of {discord.shard_count}"
            if discord.shard_count
            else "automatic sharding"
        )
        discord_line = f"on ({shards})"
    else:
        discord_line = "off (DISCORD_TOKEN unset)"
    if slack.app_token:
        slack_line = "on, Socket Mode"
    elif slack.client_id:
        slack_line = "on, HTTP, OAuth install for many workspaces"
    elif slack.bot_token:
        slack_line = "on, HTTP, one workspace"
    else:
        slack_line = "off (no Slack token)"
    if mail.smtp_url:
        smtp = make_url(mail.smtp_url.replace("smtps://", "smtp://", 1))
        mail_line = f"SMTP {smtp.host}:{smtp.port or ''} at {mail.smtp_rate:g}/s"
    else:
        mail_line = f"outbox folder {mail.outbox_dir} (SMTP_URL unset)"
    return [
        ("database", make_url(settings.database.url).render_as_string(hide_password=True)),
        (
            "web app",
            f"http://{settings.http.host}:{settings.http.port} ({settings.app.public_url})",
        ),
        ("discord", discord_line),
        ("slack", slack_line),
        ("email", mail_line),
        ("digest schedule", f"{settings.digest.cron} ({settings.digest.timezone})"),
    ]


def next_digest_run(settings: Settings, now: datetime | None = None) -> datetime | None:
    from digest.scheduler import make_trigger

    trigger = make_trigger(settings.digest.cron, settings.digest.timezone)
    moment = now or datetime.now(UTC)
    upcoming: datetime | None = trigger.get_next_fire_time(None, moment)
    return upcoming


async def database_facts(database: Database) -> list[Row]:
    from digest.delivery import delivery_counts
    from digest.issues import find_issue, list_issues

    revision, head = await current_revision(database), head_revision()
    if revision is None:
        return [("schema", "not created yet: run `shiporskip db upgrade` or `shiporskip run`")]
    rows: list[Row] = [
        ("schema", f"{revision} (latest {head})" if revision != head else f"{revision}, up to date")
    ]
    async with database.read() as session:
        size = await catalog_size(session)
    rows.append(
        ("catalog", f"{size.tools} tools, {size.critics} critics, {size.votes} community votes")
    )
    issues = await list_issues(database)
    if not issues:
        rows.append(("last digest", "none built yet"))
        return rows
    week, subject, built_at = issues[0]
    rows.append(("last digest", f"{week}: {subject} (built {built_at:%Y-%m-%d %H:%M})"))
    issue = await find_issue(database, week)
    if issue is not None:
        counts = await delivery_counts(database, issue.id)
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none yet"
        if issue.snapshot.empty:
            shown = "none: a quiet week is not mailed"
        rows.append(("deliveries", shown))
    return rows
