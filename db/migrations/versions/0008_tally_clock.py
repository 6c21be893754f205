"""tally_clock and tally_changes: tallies served from memory, kept true across processes

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clock = op.create_table(
        "tally_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_clock")),
    )
    op.bulk_insert(clock, [{"id": 1, "version": 0}])
    op.create_table(
        "tally_changes",
        sa.Column("tool_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            name=op.f("fk_tally_changes_tool_id_tools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tool_id", name=op.f("pk_tally_changes")),
    )
    op.create_index("ix_tally_changes_version", "tally_changes", ["version"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tally_changes_version", table_name="tally_changes")
    op.drop_table("tally_changes")
    op.drop_table("tally_clock")
