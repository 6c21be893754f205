"""live cards: card redraw claims, seen Slack requests, channel post claims

Revision ID: 0007
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "card_refresh",
        sa.Column("card_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("drawn", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("card_key", name=op.f("pk_card_refresh")),
    )
    op.create_table(
        "slack_requests_seen",
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("request_key", name=op.f("pk_slack_requests_seen")),
    )
    with op.batch_alter_table("slack_requests_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_requests_seen_seen_at"), ["seen_at"], unique=False
        )
    with op.batch_alter_table("channel_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", _TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_posts", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("slack_requests_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_requests_seen_seen_at"))
    op.drop_table("slack_requests_seen")
    op.drop_table("card_refresh")
