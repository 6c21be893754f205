"""Interaction payloads as Discord sends them in INTERACTION_CREATE (API v10)."""

from __future__ import annotations

from typing import Any

from tests.discord.fake_discord import (
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    VIEW_AND_SEND,
    snowflake,
    user_object,
)

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
STRING = 3
BUTTON = 2


def _base(
    kind: int,
    data: dict[str, Any],
    *,
    user_id: str,
    guild_id: int | None,
    permissions: int,
    channel_id: int = CHANNEL_ID,
) -> dict[str, Any]:
    user = user_object(user_id, f"user{user_id[-4:]}")
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": str(APP_ID),
        "type": kind,
        "data": data,
        "token": f"tok-{snowflake()}",
        "version": 1,
        "app_permissions": str(VIEW_AND_SEND),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10485760,
    }
    if guild_id is not None:
        payload.update(
            guild_id=str(guild_id),
            guild_locale="en-US",
            channel_id=str(channel_id),
            channel={
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "general",
            },
            member={
                "user": user,
                "roles": [],
                "joined_at": "2025-01-01T00:00:00.000000+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "permissions": str(permissions),
            },
            authorizing_integration_owners={"0": str(guild_id)},
            context=0,
        )
    else:
        dm_channel = str(int(user_id) + 1)
        payload.update(
            channel_id=dm_channel,
            channel={"id": dm_channel, "type": 1, "recipients": [user]},
            user=user,
            authorizing_integration_owners={"0": user_id},
            context=1,
        )
    return payload


def slash(
    name: str,
    *,
    user_id: str = "750000000000000001",
    guild_id: int | None = GUILD_ID,
    permissions: int = VIEW_AND_SEND,
    **options: str,
) -> dict[str, Any]:
    data = {
        "id": snowflake(),
        "name": name,
        "type": 1,
        "options": [{"name": k, "type": STRING, "value": v} for k, v in options.items()],
    }
    return _base(
        APPLICATION_COMMAND, data, user_id=user_id, guild_id=guild_id, permissions=permissions
    )


def admin_slash(name: str, **options: str) -> dict[str, Any]:
    return slash(name, permissions=VIEW_AND_SEND | MANAGE_GUILD, **options)


def autocomplete(
    name: str, focused: str, *, user_id: str = "750000000000000001", **options: str
) -> dict[str, Any]:
    data = {
        "id": snowflake(),
        "name": name,
        "type": 1,
        "options": [
            {"name": k, "type": STRING, "value": v, **({"focused": True} if k == focused else {})}
            for k, v in options.items()
        ],
    }
    return _base(AUTOCOMPLETE, data, user_id=user_id, guild_id=GUILD_ID, permissions=VIEW_AND_SEND)


def click(
    custom_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "750000000000000001",
    guild_id: int | None = GUILD_ID,
) -> dict[str, Any]:
    data = {"custom_id": custom_id, "component_type": BUTTON}
    payload = _base(
        MESSAGE_COMPONENT, data, user_id=user_id, guild_id=guild_id, permissions=VIEW_AND_SEND
    )
    payload["message"] = {**message, "channel_id": payload["channel_id"]}
    return payload
