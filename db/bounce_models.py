"""Bounces and complaints that came back for the digest (one row per report)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow

BOUNCE_KINDS = ("hard", "soft", "complaint")


class BounceEvent(Base):
    """What a DSN or ARF report said about one subscriber and, when known, one issue."""

    __tablename__ = "bounce_events"
    __table_args__ = (
        Index("ix_bounce_events_issue_kind", "issue_id", "kind"),
        Index("ix_bounce_events_subscriber", "subscriber_id", "issue_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=True
    )
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("digest_issues.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[str] = mapped_column(String(16), default="")
    source: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    suspended: Mapped[int] = mapped_column(Integer, default=0)
