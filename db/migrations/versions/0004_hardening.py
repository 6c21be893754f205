"""hardening: subscriber link keys, ids never reused, send throttles, used form nonces

Links used to carry the address (confirm) or the row id (unsubscribe); they now carry a
random per-subscriber ``link_key``. On SQLite the subscribers table is rebuilt with
AUTOINCREMENT, so a forgotten person's id never goes to the next sign-up.

Revision ID: 0004
Revises: 0003
"""

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _deliveries_kept() -> Iterator[None]:
    """SQLite's DROP TABLE (inside a table rebuild) runs ON DELETE SET NULL on deliveries.

    Foreign keys can't be switched off inside the migration's transaction, so the links
    are saved beforehand and put back afterwards.
    """
    op.execute(
        "CREATE TEMP TABLE _kept_deliveries AS "
        "SELECT id, subscriber_id FROM deliveries WHERE subscriber_id IS NOT NULL"
    )
    yield
    op.execute(
        "UPDATE deliveries SET subscriber_id = "
        "(SELECT k.subscriber_id FROM _kept_deliveries AS k WHERE k.id = deliveries.id) "
        "WHERE id IN (SELECT id FROM _kept_deliveries)"
    )
    op.execute("DROP TABLE _kept_deliveries")


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("link_key", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM subscribers"))]
    for subscriber_id in ids:
        bind.execute(
            sa.text("UPDATE subscribers SET link_key = :key WHERE id = :id"),
            {"key": secrets.token_urlsafe(16), "id": subscriber_id},
        )
    if _sqlite():
        with (
            _deliveries_kept(),
            op.batch_alter_table(
                "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ) as batch_op,
        ):
            batch_op.alter_column("link_key", existing_type=sa.String(32), nullable=False)
            batch_op.create_unique_constraint(op.f("uq_subscribers_link_key"), ["link_key"])
    else:
        op.alter_column("subscribers", "link_key", existing_type=sa.String(32), nullable=False)
        op.create_unique_constraint(op.f("uq_subscribers_link_key"), "subscribers", ["link_key"])
    op.create_table(
        "send_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_throttle")),
    )
    op.create_index("ix_send_throttle_key", "send_throttle", ["bucket", "key", "at"])
    op.create_table(
        "used_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("used_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_nonces")),
    )


def downgrade() -> None:
    op.drop_table("used_nonces")
    op.drop_index("ix_send_throttle_key", table_name="send_throttle")
    op.drop_table("send_throttle")
    if _sqlite():
        with (
            _deliveries_kept(),
            op.batch_alter_table(
                "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": False}
            ) as batch_op,
        ):
            batch_op.drop_constraint(op.f("uq_subscribers_link_key"), type_="unique")
            batch_op.drop_column("link_key")
    else:
        op.drop_constraint(op.f("uq_subscribers_link_key"), "subscribers", type_="unique")
        op.drop_column("subscribers", "link_key")
