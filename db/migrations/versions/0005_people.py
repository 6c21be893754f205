"""people: voters as people with identities, link codes, shared rate limits

Every vote, bookmark and compare request gets the person behind its account. A Discord
user id is global, so one person per Discord user across servers and DMs; a Slack user
is one person per team (or enterprise) and user id. Votes that collapse onto one person
keep only the latest (by updated_at, then id); bookmarks keep one row per tool.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_OWNED = ("votes", "bookmarks", "compare_requests")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=330), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_identities_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_identities_kind")),
    )
    op.create_index("ix_identities_person_id", "identities", ["person_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_link_codes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["identities.id"],
            name=op.f("fk_link_codes_identity_id_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_link_codes")),
    )
    op.create_table(
        "email_claims",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_email_claims_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_email_claims")),
    )
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_rate_events_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    op.create_index("ix_rate_events_person_scope_at", "rate_events", ["person_id", "scope", "at"])
    # One row, bumped whenever an account changes person: identity caches check it.
    generation = op.create_table(
        "people_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_generation")),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])
    for table in _OWNED:
        op.add_column(table, sa.Column("person_id", sa.Integer(), nullable=True))
    _backfill_people()
    _merge_duplicates()
    for table, unique in (("votes", "uq_votes_platform"), ("bookmarks", "uq_bookmarks_platform")):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(unique, type_="unique")
            batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
            batch.create_unique_constraint(op.f(f"uq_{table}_person_id"), ["person_id", "tool_id"])
            batch.create_foreign_key(
                op.f(f"fk_{table}_person_id_people"),
                "people",
                ["person_id"],
                ["id"],
                ondelete="CASCADE",
            )
    with op.batch_alter_table("compare_requests") as batch:
        batch.create_foreign_key(
            op.f("fk_compare_requests_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )


def _identity(platform: str, workspace: str, user_id: str) -> tuple[str, str]:
    # The same rule as db.queries.people.identity_for, frozen here as of this revision.
    if platform == "discord":
        return "discord", user_id
    return platform, f"{workspace}:{user_id}"


def _backfill_people() -> None:
    bind = op.get_bind()
    accounts: set[tuple[str, str, str]] = set()
    for table in _OWNED:
        # Table names come from _OWNED, never from data.
        query = f"SELECT DISTINCT platform, workspace, user_id FROM {table}"  # noqa: S608
        rows = bind.execute(sa.text(query))
        accounts.update((str(r[0]), str(r[1]), str(r[2])) for r in rows)
    persons: dict[tuple[str, str], int] = {}
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.func.current_timestamp()
    people = sa.table("people", sa.column("id", sa.Integer), sa.column("created_at", _TS))
    identities = sa.table(
        "identities",
        sa.column("person_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("key", sa.String),
        sa.column("created_at", _TS),
    )
    for account in sorted(accounts):
        identity = _identity(*account)
        if identity not in persons:
            person_id = bind.execute(
                sa.insert(people).values(created_at=now).returning(people.c.id)
            ).scalar_one()
            bind.execute(
                sa.insert(identities).values(
                    person_id=person_id, kind=identity[0], key=identity[1], created_at=now
                )
            )
            persons[identity] = int(person_id)
        for table in _OWNED:
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET person_id = :person_id "  # noqa: S608
                    "WHERE platform = :platform AND workspace = :workspace AND user_id = :user_id"
                ),
                {
                    "person_id": persons[identity],
                    "platform": account[0],
                    "workspace": account[1],
                    "user_id": account[2],
                },
            )


def _merge_duplicates() -> None:
    # The latest vote per person and tool wins (ties: the later row).
    op.execute(
        """
        DELETE FROM votes WHERE EXISTS (
            SELECT 1 FROM votes AS newer
            WHERE newer.person_id = votes.person_id AND newer.tool_id = votes.tool_id
              AND (newer.updated_at > votes.updated_at
                   OR (newer.updated_at = votes.updated_at AND newer.id > votes.id)))
        """
    )
    # A tool bookmarked from two places stays bookmarked once (the first save is kept).
    op.execute(
        """
        DELETE FROM bookmarks WHERE EXISTS (
            SELECT 1 FROM bookmarks AS older
            WHERE older.person_id = bookmarks.person_id AND older.tool_id = bookmarks.tool_id
              AND older.id < bookmarks.id)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("compare_requests") as batch:
        batch.drop_constraint(op.f("fk_compare_requests_person_id_people"), type_="foreignkey")
        batch.drop_column("person_id")
    for table, unique in (("votes", "uq_votes_platform"), ("bookmarks", "uq_bookmarks_platform")):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_person_id_people"), type_="foreignkey")
            batch.drop_constraint(op.f(f"uq_{table}_person_id"), type_="unique")
            batch.drop_column("person_id")
            batch.create_unique_constraint(unique, ["platform", "workspace", "user_id", "tool_id"])
    op.drop_table("people_generation")
    op.drop_index("ix_rate_events_person_scope_at", table_name="rate_events")
    op.drop_table("rate_events")
    op.drop_table("email_claims")
    op.drop_table("link_codes")
    op.drop_index("ix_identities_person_id", table_name="identities")
    op.drop_table("identities")
    op.drop_table("people")
