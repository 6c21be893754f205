"""Installations and OAuth state in our database, over slack_sdk's table definitions.

slack_sdk's SQLAlchemy stores do the queries; we only encrypt tokens on the way in
and decrypt them on the way out. The tables themselves come from migration 0002.
"""

from __future__ import annotations

import copy
import logging
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.slack_bot.tokens import TokenCipher
from db.engine import Database
from db.queries.slack_states import purge_expired_states

log = logging.getLogger(__name__)
OAUTH_STATE_SECONDS = 600
# Expired states are deleted at most this often, when a new one is issued.
PURGE_EVERY_S = 60.0
_SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _writer_engine(database: Database) -> Any:
    # On SQLite a transaction that reads then writes must start as BEGIN IMMEDIATE,
    # or a concurrent writer makes the upgrade fail at once (see db/engine.py).
    return database.engine.execution_options(sqlite_immediate=True)


def _transform(item: Any, change: Any) -> Any:
    copied = copy.copy(item)
    for name in _SECRET_FIELDS:
        if hasattr(copied, name):
            setattr(copied, name, change(getattr(copied, name)))
    return copied


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):  # type: ignore[misc]
    """slack_sdk's async SQLAlchemy store with every token encrypted at rest."""

    def __init__(self, client_id: str, database: Database, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=_writer_engine(database), logger=log)
        self.cipher = cipher

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(_transform(installation, self.cipher.encrypt))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(_transform(bot, self.cipher.encrypt))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else _transform(found, self.cipher.decrypt)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else _transform(found, self.cipher.decrypt)


class StateStore(AsyncSQLAlchemyOAuthStateStore):  # type: ignore[misc]
    """OAuth ``state`` values, each usable once and for ten minutes."""

    def __init__(self, database: Database) -> None:
        super().__init__(
            expiration_seconds=OAUTH_STATE_SECONDS, engine=_writer_engine(database), logger=log
        )
        self._database = database
        self._next_purge = 0.0

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state; expired ones (abandoned installs) are purged on the way."""
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY_S
            now = datetime.now(UTC).replace(tzinfo=None)
            async with self._database.write() as session:
                purged = await purge_expired_states(session, now)
            if purged:
                log.info("purged %d expired Slack OAuth states", purged)
        return str(await super().async_issue(*args, **kwargs))
