"""`shiporskip status`: what is configured, the last digest and the next scheduled run."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from bot import vote_spikes
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
    spiking = await vote_spikes.spikes(database)
    rows.append(("vote spikes", ", ".join(map(vote_spikes.describe, spiking)) or "none"))
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
        rows += await channel_post_facts(database, issue.id)
    rows.extend(await bounce_rows(database))
    return rows


async def bounce_rows(database: Database) -> list[Row]:
    """Bounce and complaint rates of recent issues, as shares of the copies sent."""
    from db.queries.bounces import bounce_rates

    async with database.read() as session:
        rates = await bounce_rates(session)
    return [
        (
            f"bounces {r.week}",
            f"{r.sent} sent; hard {_rate(r.hard, r.sent)}, soft {_rate(r.soft, r.sent)}, "
            f"complaints {_rate(r.complaints, r.sent)}",
        )
        for r in rates
    ]


def _rate(count: int, sent: int) -> str:
    return f"{count} ({count / sent:.2%})" if sent else f"{count}"


async def channel_post_facts(database: Database, issue_id: int) -> list[Row]:
    """How the issue's channel posts went, and the channels the bot can no longer post in."""
    from db.queries.channel_posts import lost_channels, post_counts

    async with database.read() as session:
        counts = await post_counts(session, issue_id)
        lost = await lost_channels(session, issue_id)
    if not counts:
        return []
    by_status: dict[str, int] = {}
    for (_platform, status), n in counts.items():
        by_status[status] = by_status.get(status, 0) + n
    rows = [
        ("channel posts", ", ".join(f"{n} {s}" for s, n in sorted(by_status.items(), key=_order)))
    ]
    if lost:
        rows.append(("lost channels", "; ".join(f"{p} {w}/{c} ({why})" for p, w, c, why in lost)))
    return rows


def _order(item: tuple[str, int]) -> int:
    states = ("posted", "claimed", "pending", "failed", "lost")
    return states.index(item[0]) if item[0] in states else len(states)
