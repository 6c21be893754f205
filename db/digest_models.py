"""Tables of the weekly digest: subscribers, issues, deliveries and channel posts.

Kept apart from ``db.models`` so the digest owns its schema; it shares ``Base`` so
one metadata (and one migration chain) covers everything.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "suspended")
DELIVERY_STATUSES = ("pending", "sending", "sent", "deferred", "failed", "skipped")


def new_link_key() -> str:
    """128 random bits: what links name a subscriber by, instead of the address or the id."""
    return secrets.token_urlsafe(16)


class Subscriber(Base):
    """One email address (normalised); only ``confirmed`` ones receive digests."""

    __tablename__ = "subscribers"
    # SQLite would otherwise hand a forgotten person's id to the next sign-up.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_link_key)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(String(32), default="web")
    hard_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class DigestIssue(Base):
    """One issue per ISO week; the snapshot is what every channel shows, for ever."""

    __tablename__ = "digest_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One email of one issue to one subscriber.

    ``subscriber_id`` becomes NULL when a person is forgotten, so counts survive.
    ``claimed_by`` names the sending process that holds a ``sending`` row.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("issue_id", "subscriber_id"),
        Index("ix_deliveries_issue_status", "issue_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("digest_issues.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ChannelPost(Base):
    """The post of one issue into one opted-in chat channel (retried until it lands)."""

    __tablename__ = "channel_posts"
    __table_args__ = (UniqueConstraint("issue_id", "platform", "workspace", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("digest_issues.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # A claim (like a delivery's) so two runs never post the same row; see digest/channel_posts.py.
    claimed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SendThrottle(Base):
    """One counted event (a confirmation sent, a sign-up tried) for a throttle bucket and key.

    Kept in the database so every process sees the same counts.
    """

    __tablename__ = "send_throttle"
    __table_args__ = (Index("ix_send_throttle_key", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedNonce(Base):
    """A form nonce already spent: each sign-up form posts once."""

    __tablename__ = "used_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
