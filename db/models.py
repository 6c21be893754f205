"""The shared schema: catalog, panel reviews, community votes, bookmarks, requests.

Derived numbers (panel ship counts, community ship %) are never stored: queries
compute them, so nothing has to be kept in step by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class Critic(Base):
    __tablename__ = "critics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    persona: Mapped[str] = mapped_column(Text, default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tool(Base):
    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(100))
    best_for: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    pricing: Mapped[str] = mapped_column(Text, default="")
    entry_price: Mapped[str] = mapped_column(String(100), default="")
    vendor: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    added: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    reviews: Mapped[list[Review]] = relationship(
        back_populates="tool", cascade="all, delete-orphan", lazy="raise"
    )


class Review(Base):
    """The current review of one tool by one critic."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("tool_id", "critic_id"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("verdict IN ('ship', 'skip')", name="verdict_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    critic_id: Mapped[int] = mapped_column(ForeignKey("critics.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(4))
    text: Mapped[str] = mapped_column(Text, default="")
    reviewed: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tool: Mapped[Tool] = relationship(back_populates="reviews", lazy="raise")
    critic: Mapped[Critic] = relationship(lazy="raise")


class ReviewVersion(Base):
    """An earlier version of a review, kept when the catalog changes it."""

    __tablename__ = "review_versions"
    __table_args__ = (Index("ix_review_versions_tool_critic", "tool_id", "critic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    critic_id: Mapped[int] = mapped_column(ForeignKey("critics.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(4))
    text: Mapped[str] = mapped_column(Text, default="")
    reviewed: Mapped[date] = mapped_column(Date)
    superseded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """One human, however many chat accounts and addresses they use (see Identity)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Identity(Base):
    """An account that speaks for a person.

    ``kind`` is discord, slack or email (console for the local REPL). ``key``: a Discord
    user id (global across servers and DMs), ``<team or enterprise id>:<user id>`` on
    Slack, a confirmed subscriber's address for email.
    """

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_identities_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(330))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time /link code; only its SHA-256 is kept, so a database dump can't redeem it."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailClaim(Base):
    """A chat person asked /subscribe for ``address``; confirming it links the address to them."""

    __tablename__ = "email_claims"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeopleGeneration(Base):
    """One row whose value goes up whenever an account moves to another person.

    Link, unlink and forgetting an address bump it in their transaction; a cache of
    identity -> person is good for exactly one value (db.queries.people.IdentityCache).
    """

    __tablename__ = "people_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class RateEvent(Base):
    """One counted action (a vote, a /link attempt) of a person, for limits shared by processes."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_person_scope_at", "person_id", "scope", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column()


class Vote(Base):
    """One community vote per person per tool; changing it updates the row."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("person_id", "tool_id"),
        CheckConstraint("verdict IN ('ship', 'skip')", name="verdict_value"),
        Index("ix_votes_tool_verdict", "tool_id", "verdict"),
        Index("ix_votes_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Where the vote was last cast from: kept for the brigade report, not for identity.
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bookmark(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("person_id", "tool_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompareRequest(Base):
    """Who asked to compare what, and when; feeds the digest's most-requested list.

    Names are kept as typed when a tool was not found, so the digest can list
    tools people asked about that the catalog lacks.
    """

    __tablename__ = "compare_requests"
    __table_args__ = (Index("ix_compare_requests_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Nullable only for rows older than people (the migration fills them); new rows have one.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    first_tool_id: Mapped[int | None] = mapped_column(
        ForeignKey("tools.id", ondelete="SET NULL"), nullable=True
    )
    second_tool_id: Mapped[int | None] = mapped_column(
        ForeignKey("tools.id", ondelete="SET NULL"), nullable=True
    )
    first_query: Mapped[str] = mapped_column(String(200))
    second_query: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppState(Base):
    """Small key/value facts the processes share (e.g. the command-sync hash)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChannelSubscription(Base):
    """A Discord or Slack channel that asked for the weekly digest (``/digest here``)."""

    __tablename__ = "channel_subscriptions"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
