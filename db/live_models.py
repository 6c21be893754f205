"""Tables that keep chat cards true and chat requests single: card redraw claims, seen requests.

``card_refresh`` is the cross-process half of the card refresher: every vote on a card
bumps ``version``; whoever holds the claim redraws and records ``drawn``. A claim is a
lease (``lease_until``) so a crashed owner's claim simply runs out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class CardRefresh(Base):
    """One live card (a chat message with vote buttons) and how far its redraws got."""

    __tablename__ = "card_refresh"

    card_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    drawn: Mapped[int] = mapped_column(BigInteger, default=0)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    updates: Mapped[int] = mapped_column(Integer, default=0)


class SlackRequestSeen(Base):
    """A Slack interaction or command already handled (Slack retries and replays are dropped)."""

    __tablename__ = "slack_requests_seen"

    request_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
