"""From a parsed report to a stored event (and maybe a suspension) for the right subscriber."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from db.engine import Database
from db.queries.bounces import latest_sent_issue, record_bounce, subscriber_by_email
from digest.inbound.reports import Kind, Report
from digest.verp import Verp, VerpTarget

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    subscriber_id: int | None
    kind: Kind
    suspended: bool


class BounceRecorder:
    """Finds the subscriber of each report (VERP first, the reported address second)."""

    def __init__(self, database: Database, verp: Verp | None) -> None:
        self.database = database
        self.verp = verp

    def _target(self, addresses: Iterable[str]) -> VerpTarget | None:
        if self.verp is None:
            return None
        for address in addresses:
            if address and (target := self.verp.read(address)) is not None:
                return target
        return None

    async def record(
        self, reports: list[Report], envelope: Iterable[str], source: str
    ) -> list[Outcome]:
        """``envelope``: the addresses the report was delivered to (our VERP addresses)."""
        envelope = list(envelope)
        outcomes = []
        async with self.database.write() as session:
            for report in reports:
                target = self._target([*envelope, report.envelope_hint])
                subscriber_id = target.subscriber_id if target else None
                issue_id = target.issue_id if target else None
                if subscriber_id is None and report.recipient:
                    # No token survived: trust the reported address only if it is a subscriber.
                    subscriber_id = await subscriber_by_email(session, report.recipient)
                if subscriber_id is None:
                    log.info("%s report for an unknown recipient ignored", report.kind)
                    outcomes.append(Outcome(None, report.kind, False))
                    continue
                if issue_id is None:
                    issue_id = await latest_sent_issue(session, subscriber_id)
                suspended = await record_bounce(
                    session,
                    subscriber_id=subscriber_id,
                    issue_id=issue_id,
                    kind=report.kind,
                    status_code=report.status,
                    source=source,
                    detail=report.detail,
                )
                if suspended:
                    log.info("subscriber %d suspended after a %s", subscriber_id, report.kind)
                outcomes.append(Outcome(subscriber_id, report.kind, suspended))
        return outcomes
