"""The Slack OAuth tables (migration 0002), declared so the schema has one full description.

slack_sdk's SQLAlchemy stores run the queries with their own Table objects; these
declarations exist so that Base.metadata matches the migrations (tests/db checks
it) and Alembic never proposes dropping them. Token columns hold Fernet-encrypted
values, which is why they are wider than slack_sdk's own 200 characters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table

from db.models import Base

TOKEN_LENGTH = 1000


def _token(name: str) -> Column[str]:
    return Column(name, String(TOKEN_LENGTH))


def _app_columns() -> list[Column[Any]]:
    return [
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


def _team_and_bot_columns() -> list[Column[Any]]:
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        _token("bot_token"),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        _token("bot_refresh_token"),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_app_columns(),
    Column("enterprise_url", String(200)),
    *_team_and_bot_columns(),
    Column("user_id", String(32), nullable=False),
    _token("user_token"),
    Column("user_scopes", String(1000)),
    _token("user_refresh_token"),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_app_columns(),
    *_team_and_bot_columns(),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
