"""One digest run, wired from small steps: issue → render → send → record (and channel posts)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.ports import ChannelPoster
from bot.settings import Settings
from db.engine import Database
from digest.channel_posts import post_issue
from digest.deliverability import envelope_for_issue, signer_for
from digest.delivery import Progress, SendSummary, send_issue
from digest.issues import Issue, ensure_issue
from digest.message import DigestMessages
from digest.personal import PersonalBlocks, VoteLinks
from digest.render import render_issue
from digest.senders import Sender, make_sender
from digest.subscribers import EmailSubscriptions, Mailing
from digest.tokens import Tokens
from digest.vote_tokens import VoteTokens
from digest.weeks import Week, last_complete_week

log = logging.getLogger(__name__)
QUIET_WEEK = "a quiet week: no new verdicts, requests or community swings"


@dataclass
class DigestDeps:
    """Everything a digest run touches; built once by whoever runs it."""

    database: Database
    settings: Settings
    sender: Sender
    tokens: Tokens
    posters: Mapping[str, ChannelPoster] = field(default_factory=dict)
    # Set on SIGTERM: senders finish the message in hand, release their claims and stop.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def from_settings(
        cls,
        database: Database,
        settings: Settings,
        posters: Mapping[str, ChannelPoster] | None = None,
        sender: Sender | None = None,
    ) -> DigestDeps:
        mail = settings.mail
        return cls(
            database=database,
            settings=settings,
            sender=sender
            or make_sender(
                mail.smtp_url, mail.outbox_dir, rate=mail.smtp_rate, concurrency=mail.smtp_pool
            ),
            tokens=Tokens(settings.app.secret_keys),
            posters=posters if posters is not None else {},
        )

    @property
    def public_url(self) -> str:
        return self.settings.app.public_url

    @functools.cached_property
    def vote_tokens(self) -> VoteTokens:
        return VoteTokens(self.settings.app.secret_keys)

    def subscriptions(self) -> EmailSubscriptions:
        mail = self.settings.mail
        mailing = Mailing(
            self.public_url,
            mail.mail_from,
            postal_address=mail.mail_postal_address,
            reply_to=mail.mail_reply_to,
            signer=signer_for(self.settings),
            envelope_from=mail.bounce_address,
        )
        return EmailSubscriptions(self.database, self.tokens, self.sender, mailing)

    def unsubscribe_url(self, link_key: str) -> str:
        return f"{self.public_url}/unsubscribe/{self.tokens.unsubscribe_token(link_key)}"


def compile_messages(deps: DigestDeps, issue: Issue) -> DigestMessages:
    """Render the issue once; each recipient's copy is then a cheap substitution."""
    postal_address = deps.settings.mail.mail_postal_address
    rendered = render_issue(issue.snapshot, deps.public_url, postal_address)
    return DigestMessages(
        html_body=rendered.html,
        text_body=rendered.text,
        subject=issue.subject,
        mail_from=deps.settings.mail.mail_from,
        placeholders=rendered.placeholders,
        reply_to=deps.settings.mail.mail_reply_to,
        signer=signer_for(deps.settings),
        bounce_address=envelope_for_issue(deps.settings, issue.id),
        campaign=issue.week,
        vote_urls=VoteLinks(deps.public_url, issue.week, deps.vote_tokens, rendered.vote_slugs),
    )


async def send_week(
    deps: DigestDeps, week: Week, *, progress: Progress | None = None
) -> tuple[Issue, SendSummary]:
    """Build (if needed) and deliver the issue for ``week``; idempotent."""
    issue, _ = await ensure_issue(deps.database, week)
    if issue.snapshot.empty:
        # Nothing to report is not worth an inbox slot; no deliveries are created.
        log.info("digest %s: %s", week.label, QUIET_WEEK)
        return issue, SendSummary(not_mailed=QUIET_WEEK)
    if deps.settings.mail.smtp_url and not deps.public_url.startswith("https://"):
        log.warning("PUBLIC_URL is not https; RFC 8058 one-click unsubscribe needs https links")
    messages = await asyncio.to_thread(compile_messages, deps, issue)
    summary = await send_issue(
        deps.database,
        issue.id,
        deps.sender,
        messages,
        deps.unsubscribe_url,
        progress=progress,
        stop=deps.stopping,
        blocks=PersonalBlocks(deps.database, issue.snapshot, deps.public_url),
    )
    return issue, summary


async def weekly_run(
    deps: DigestDeps, now: datetime | None = None, *, post_retry_delay_s: float = 5.0
) -> SendSummary:
    """What the scheduler does: the last complete week's issue to email and channels."""
    week = last_complete_week(now, deps.settings.digest.timezone)
    issue, built = await ensure_issue(deps.database, week)
    log.info("digest %s %s", week.label, "built" if built else "already built")
    # Channel posts run beside the email; a slow or failing platform never holds mail back.
    posts = asyncio.create_task(
        post_issue(
            deps.database,
            issue,
            deps.posters,
            deps.public_url,
            base_delay_s=post_retry_delay_s,
            stale_after=timedelta(seconds=deps.settings.digest.channel_post_lease_s),
        )
    )
    try:
        _, summary = await send_week(deps, week)
    finally:
        counts = await posts
    if summary.not_mailed:
        log.info("digest %s not mailed (%s); channels %s", week.label, summary.not_mailed, counts)
        return summary
    log.info(
        "digest %s: %d sent, %d failed, %d deferred, %d suspended; channels %s",
        week.label,
        summary.sent,
        summary.failed,
        summary.deferred,
        summary.suspended,
        counts,
    )
    if summary.halted:
        log.error("digest %s stopped early, will resume: %s", week.label, summary.halted)
    return summary
