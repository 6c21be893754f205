"""Who may change workspace-wide settings (the digest channel)."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_bot.stores import EncryptedInstallationStore

log = logging.getLogger(__name__)


async def is_workspace_admin(
    client: AsyncWebClient,
    token: str | None,
    store: EncryptedInstallationStore | None,
    user_id: str,
    team_id: str,
    enterprise_id: str | None = None,
) -> bool:
    """Workspace admins and owners, and whoever installed the app, may."""
    if store is not None:
        installation = await store.async_find_installation(
            enterprise_id=enterprise_id or None, team_id=team_id
        )
        if installation is not None and installation.user_id == user_id:
            return True
    try:
        info = await client.users_info(token=token, user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("users.info unreachable for %s: %s", user_id, exc)
        return False
    data = info.data if isinstance(info.data, dict) else {}
    user = data.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
