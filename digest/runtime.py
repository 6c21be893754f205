"""One digest runtime per process: one DigestDeps, one sender, one SMTP pool, one rate.

The composition root (``run``, ``chat``, ``digest send``, ``subscribers import``) opens it
once and hands it to everyone who sends mail: the scheduler, the web sign-up form and
chat ``/subscribe``. SMTP_RATE and SMTP_POOL are therefore limits of the process, not
of each copy, and the pool is closed (QUIT on every connection) when the owner leaves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from bot.core.ports import ChannelPoster
from bot.settings import Settings
from db.engine import Database
from digest.pipeline import DigestDeps


@asynccontextmanager
async def open_digest(
    database: Database,
    settings: Settings,
    posters: Mapping[str, ChannelPoster] | None = None,
) -> AsyncIterator[DigestDeps]:
    """The process's digest runtime; its sender is closed when the block ends.

    ``posters`` is kept by reference: chat platforms that connect later still get the post.
    """
    deps = DigestDeps.from_settings(database, settings, posters)
    try:
        yield deps
    finally:
        await deps.sender.close()
