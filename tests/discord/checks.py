"""Assertions on what the bot sent Discord: limits, visibility, mentions."""

from __future__ import annotations

from typing import Any

EPHEMERAL = 64


def embed_size(embed: dict[str, Any]) -> int:
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields") or [])
    )


def assert_within_limits(message: dict[str, Any]) -> None:
    """Every documented embed/message limit Discord enforces."""
    embeds = message.get("embeds") or []
    assert len(embeds) <= 10
    for embed in embeds:
        assert len(embed.get("title") or "") <= 256
        assert len(embed.get("description") or "") <= 4096
        assert len(embed.get("fields") or []) <= 25
        for f in embed.get("fields") or []:
            assert 0 < len(f["name"]) <= 256
            assert 0 < len(f["value"]) <= 1024
        assert len((embed.get("footer") or {}).get("text") or "") <= 2048
    assert sum(embed_size(e) for e in embeds) <= 6000
    assert len(message.get("content") or "") <= 2000
    rows = message.get("components") or []
    assert len(rows) <= 5
    for row in rows:
        assert len(row["components"]) <= 5
        for button in row["components"]:
            assert len(button["custom_id"]) <= 100
            assert len(button["label"]) <= 80


def assert_no_pings(message: dict[str, Any]) -> None:
    assert message["allowed_mentions"] == {"parse": []}


def is_ephemeral(message: dict[str, Any]) -> bool:
    return bool(int(message.get("flags") or 0) & EPHEMERAL)


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The ids of the buttons that send us interactions (link buttons carry a url instead)."""
    return [
        b["custom_id"]
        for row in message.get("components") or []
        for b in row["components"]
        if "custom_id" in b
    ]


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f["name"] + " " + f["value"] for f in embed.get("fields") or []]
    return "\n".join(parts)
