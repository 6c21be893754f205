"""A fake Discord on 127.0.0.1: REST v10 and the gateway, as documented.

Payload shapes follow Discord's developer documentation (Gateway: Hello, Identify,
Ready, Guild Create, Heartbeat/ACK, Resume; Interactions: the Interaction object,
interaction callbacks with ``with_response``, followup webhooks). The gateway sends
uncompressed JSON text frames: discord.py asks for ``compress=zlib-stream`` (or
zstd) in the URL, but it decompresses only binary frames and parses text frames as
they are, so a text-only server is a valid peer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 710000000000000001
BOT_ID = APP_ID
GUILD_ID = 720000000000000001
CHANNEL_ID = 730000000000000001
BOT_TOKEN = "fake-bot-token"
MANAGE_GUILD = 1 << 5
VIEW_AND_SEND = (1 << 10) | (1 << 11)
_snowflakes = itertools.count(int(time.time() * 1000 - 1420070400000) << 22)


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py parses only that.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


_EDITABLE = ("content", "embeds", "components", "flags")


def _is_channel_message(method: str, path: str) -> bool:
    parts = path.split("/")
    return (
        method == "POST" and len(parts) == 4 and parts[1] == "channels" and parts[3] == "messages"
    )


def snowflake() -> str:
    return str(next(_snowflakes))


def user_object(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_object(str(BOT_ID), "Ship or Skip", bot=True)


def message_object(
    channel_id: str, body: dict[str, Any], *, message_id: str | None = None, flags: int = 0
) -> dict[str, Any]:
    return {
        "id": message_id or snowflake(),
        "channel_id": channel_id,
        "author": BOT_USER,
        "content": body.get("content") or "",
        "timestamp": "2025-01-06T09:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": flags | int(body.get("flags") or 0),
        "application_id": str(APP_ID),
        "webhook_id": str(APP_ID),
    }


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float


@dataclass
class Session:
    ws: web.WebSocketResponse
    shard: tuple[int, int] = (0, 1)
    session_id: str = ""
    seq: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)


class FakeDiscord:
    """Start with ``await fake.start()``; drive with ``dispatch`` and read ``calls``."""

    def __init__(self, guild_ids: tuple[int, ...] = (GUILD_ID,)) -> None:
        self.guild_ids = guild_ids
        self.calls: list[Call] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.sessions: list[Session] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.original: dict[str, str] = {}  # interaction token -> message id
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.interaction_channel: dict[str, str] = {}
        self.interaction_message: dict[str, str] = {}  # token -> the clicked message's id
        self.edits: dict[str, int] = {}  # message id -> times edited
        # As documented: one initial response per interaction, within 3 s of the event;
        # a second one is refused (400, 40060) and a late one finds the token gone (404,
        # 10062). Interaction id -> when it was dispatched / answered.
        self.dispatched_at: dict[str, float] = {}
        self.acknowledged: set[str] = set()
        self.response_deadline_s = 3.0
        self.refused_callbacks: list[tuple[str, int]] = []  # (interaction id, error code)
        self.invalid_tokens: set[str] = set()  # past the deadline: the webhook is gone too
        # Per-route buckets (method, resource, top-level id) -> (requests, window seconds);
        # over a bucket Discord answers 429 with Retry-After, X-RateLimit-* and a JSON body.
        self.limits: dict[tuple[str, str], tuple[int, float]] = {}
        self._recent: dict[tuple[str, str, str], deque[float]] = {}
        # The global limit (documented: 50 requests/s per bot), tightened by tests.
        self.global_limit: tuple[int, float] | None = None
        self.limited: list[Call] = []
        # Channels the bot lost: channel id -> (HTTP status, Discord error code, message).
        self.channel_errors: dict[str, tuple[int, int, str]] = {}
        # enforce_nonce, as documented: a nonce the same author used "in the past few
        # minutes" returns that message and creates none; older nonces no longer match.
        self._nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self.nonce_window_s = 300.0
        self.nonce_repeats = 0  # POSTs answered with an earlier message by their nonce
        # A slow Discord: each channel message POST is answered this late. The message is
        # created when the answer is made, even if the client is gone by then (aiohttp does
        # not cancel handlers on disconnect), as a request Discord received still posts.
        self.message_delay_s = 0.0
        # A slow round trip for edits of interaction messages (PATCH /webhooks/...).
        self.edit_delay_s = 0.0
        # A slow round trip for followup messages (POST /webhooks/<app>/<token>).
        self.followup_delay_s = 0.0
        self._waiters: list[tuple[Callable[[Call], bool], asyncio.Future[Call]]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.fail_next_sync = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        return {
            "DISCORD_TOKEN": BOT_TOKEN,
            "DISCORD_API_URL": self.api_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # -- gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.append(session)
        await self._send(session, {"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(session, json.loads(msg.data))
        finally:
            self.sessions.remove(session)
        return ws

    async def _send(self, session: Session, payload: dict[str, Any]) -> None:
        if not session.ws.closed:
            await session.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        await self._send(session, {"op": 0, "t": event, "s": session.seq, "d": data})

    async def _on_frame(self, session: Session, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            self.heartbeats += 1
            await self._send(session, {"op": 11})
        elif op == 2:
            self.identifies.append(data)
            assert data["token"] == BOT_TOKEN, "IDENTIFY with a wrong token"
            session.shard = tuple(data.get("shard") or (0, 1))  # type: ignore[assignment]
            session.session_id = snowflake()
            guilds = [g for g in self.guild_ids if (g >> 22) % session.shard[1] == session.shard[0]]
            await self._dispatch_to(
                session,
                "READY",
                {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                    "session_id": session.session_id,
                    "resume_gateway_url": self.gateway_url,
                    "shard": list(session.shard),
                    "application": {"id": str(APP_ID), "flags": 0},
                },
            )
            for guild_id in guilds:
                await self._dispatch_to(session, "GUILD_CREATE", guild_object(guild_id))
            session.identified.set()
        elif op == 6:
            self.resumes.append(data)
            session.session_id = data["session_id"]
            session.seq = data.get("seq") or 0
            await self._dispatch_to(session, "RESUMED", {})
            session.identified.set()

    async def wait_identified(self, count: int = 1, within_s: float = 10.0) -> None:
        """Until ``count`` gateway sessions have identified (or resumed)."""
        async with asyncio.timeout(within_s):
            # Sessions come and go (restarts, resumes): polling the list is simplest.
            while sum(1 for s in self.sessions if s.identified.is_set()) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    def _session_for(self, guild_id: str | None) -> Session:
        live = [s for s in self.sessions if s.identified.is_set() and not s.ws.closed]
        if not live:
            raise AssertionError("no bot is connected to the fake gateway")
        if guild_id is None:
            # DMs arrive on shard 0.
            return next((s for s in live if s.shard[0] == 0), live[0])
        shard = (int(guild_id) >> 22) % live[0].shard[1]
        return next(s for s in live if s.shard[0] == shard)

    async def dispatch_interaction(
        self, interaction: dict[str, Any], to: int | None = None
    ) -> None:
        """Deliver over the gateway; ``to`` picks one of several connected bots."""
        self.interaction_channel[interaction["token"]] = interaction["channel_id"]
        self.dispatched_at[interaction["id"]] = time.monotonic()
        if interaction.get("message"):
            self.interaction_message[interaction["token"]] = interaction["message"]["id"]
        if to is None:
            session = self._session_for(interaction.get("guild_id"))
        else:
            session = [s for s in self.sessions if s.identified.is_set()][to]
        await self._dispatch_to(session, "INTERACTION_CREATE", interaction)

    async def drop_connections(self) -> None:
        for session in list(self.sessions):
            await session.ws.close(code=4000)

    # -- REST -------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") not in (f"Bot {BOT_TOKEN}", None):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        call = Call(request.method, path, dict(request.query), body, time.perf_counter())
        limited = self._rate_limited(request.method, path.split("/")[1:])
        if limited is not None:
            self.limited.append(call)
            return limited
        self.calls.append(call)
        for waiter in list(self._waiters):
            matches, future = waiter
            if not future.done() and matches(call):
                future.set_result(call)
                self._waiters.remove(waiter)
        if self.message_delay_s and _is_channel_message(request.method, path):
            await asyncio.sleep(self.message_delay_s)
        if self.edit_delay_s and request.method == "PATCH" and path.startswith("/webhooks/"):
            await asyncio.sleep(self.edit_delay_s)
        if self.followup_delay_s and request.method == "POST" and path.startswith("/webhooks/"):
            await asyncio.sleep(self.followup_delay_s)
        return self._answer(request.method, path.split("/")[1:], body)

    def _answer(self, method: str, parts: list[str], body: Any) -> web.StreamResponse:
        route = (method, *parts)
        if parts[:1] == ["webhooks"] and len(parts) > 2 and parts[2] in self.invalid_tokens:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
        match route:
            case ("GET", "gateway", "bot"):
                return _json(
                    {
                        "url": self.gateway_url,
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 1000,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case ("GET", "gateway"):
                return _json({"url": self.gateway_url})
            case ("GET", "users", "@me"):
                return _json({**BOT_USER, "flags": 0, "verified": True})
            case ("GET", "oauth2", "applications", "@me"):
                return _json(application_object())
            case ("PUT", "applications", _, "commands"):
                return self._sync("global", body)
            case ("PUT", "applications", _, "guilds", guild, "commands"):
                return self._sync(guild, body)
            case ("POST", "interactions", interaction_id, token, "callback"):
                return self._callback(interaction_id, token, body)
            case ("PATCH", "webhooks", _, token, "messages", "@original"):
                message_id = self.original.setdefault(token, snowflake())
                return _json(self._edit(token, message_id, body))
            case ("DELETE", "webhooks", _, token, "messages", "@original"):
                self.messages.pop(self.original.pop(token, ""), None)
                return web.Response(status=204)
            case ("POST", "webhooks", _, token):
                channel = self.interaction_channel.get(token, str(CHANNEL_ID))
                return _json(message_object(channel, body))
            case ("POST", "channels", channel_id, "messages"):
                if channel_id in self.channel_errors:
                    status, code, text = self.channel_errors[channel_id]
                    return _json({"message": text, "code": code}, status=status)
                nonce = str(body.get("nonce") or "")
                seen = self._nonces.get((channel_id, nonce))
                if (
                    body.get("enforce_nonce")
                    and seen is not None
                    and time.monotonic() - seen[0] < self.nonce_window_s
                ):
                    # Same author, same nonce, within minutes: the first message, no new one.
                    self.nonce_repeats += 1
                    return _json(seen[1])
                message = message_object(channel_id, body)
                self.messages[message["id"]] = message
                if nonce:
                    self._nonces[(channel_id, nonce)] = (time.monotonic(), message)
                return _json(message)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _sync(self, scope: str, body: list[dict[str, Any]]) -> web.Response:
        if self.fail_next_sync:
            self.fail_next_sync = False
            return _json({"message": "Internal", "code": 0}, status=500)
        synced = [
            {
                "id": snowflake(),
                "application_id": str(APP_ID),
                "version": snowflake(),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description", ""),
                "options": command.get("options", []),
                "default_member_permissions": command.get("default_member_permissions"),
                "nsfw": command.get("nsfw", False),
                **({"guild_id": scope} if scope != "global" else {}),
            }
            for command in body
        ]
        self.commands[scope] = synced
        return _json(synced)

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> web.Response:
        dispatched = self.dispatched_at.get(interaction_id)
        if dispatched is not None and time.monotonic() - dispatched > self.response_deadline_s:
            self.refused_callbacks.append((interaction_id, 10062))
            if interaction_id not in self.acknowledged:
                self.invalid_tokens.add(token)
            return _json({"message": "Unknown interaction", "code": 10062}, status=404)
        if interaction_id in self.acknowledged:
            self.refused_callbacks.append((interaction_id, 40060))
            return _json(
                {"message": "Interaction has already been acknowledged.", "code": 40060},
                status=400,
            )
        self.acknowledged.add(interaction_id)
        kind, data = body["type"], body.get("data") or {}
        interaction = {
            "id": interaction_id,
            "type": kind,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }
        channel = self.interaction_channel.get(token, str(CHANNEL_ID))
        if kind in (4, 5):
            message = message_object(channel, data)
            self.messages[message["id"]] = message
            self.original[token] = message["id"]
            interaction["response_message_id"] = message["id"]
            return _json(
                {"interaction": interaction, "resource": {"type": kind, "message": message}}
            )
        if kind in (6, 7) and token in self.interaction_message:
            # UPDATE_MESSAGE (or its deferred form): @original is now the clicked message.
            message_id = self.interaction_message[token]
            self.original[token] = message_id
            interaction["response_message_id"] = message_id
            if kind == 6:
                return _json({"interaction": interaction})
            message = self._edit(token, message_id, data)
            return _json(
                {"interaction": interaction, "resource": {"type": kind, "message": message}}
            )
        if kind == 7:
            message = message_object(channel, data)
            interaction["response_message_id"] = message["id"]
            return _json(
                {"interaction": interaction, "resource": {"type": kind, "message": message}}
            )
        return _json({"interaction": interaction})

    def _edit(self, token: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply an edit: fields present in ``body`` replace the stored ones."""
        channel = self.interaction_channel.get(token, str(CHANNEL_ID))
        stored = self.messages.get(message_id)
        if stored is None:
            stored = message_object(channel, body, message_id=message_id)
        else:
            stored = {**stored, **{k: v for k, v in body.items() if k in _EDITABLE}}
            stored["edited_timestamp"] = "2025-01-06T09:00:01.000000+00:00"
            self.edits[message_id] = self.edits.get(message_id, 0) + 1
        self.messages[message_id] = stored
        return stored

    # -- rate limits ------------------------------------------------------------------------

    def _rate_limited(self, method: str, parts: list[str]) -> web.Response | None:
        """A 429 as documented when this request breaks its route's bucket, else None."""
        if len(parts) < 2:
            return None
        is_global = False
        limit = self.limits.get((method, parts[0]))
        if limit is not None:
            # Top-level resources (channel id, webhook id + token) get a bucket each.
            major = "/".join(parts[1:3]) if parts[0] == "webhooks" else parts[1]
            key = (method, parts[0], major)
        elif self.global_limit is not None and parts[0] != "gateway":
            limit, key, is_global = self.global_limit, ("*", "*", "*"), True
        else:
            return None
        count, window = limit
        bucket = self._recent.setdefault(key, deque())
        now = time.monotonic()
        while bucket and bucket[0] <= now - window:
            bucket.popleft()
        if len(bucket) < count:
            bucket.append(now)
            return None
        wait_s = round(bucket[0] + window - now, 3)
        return web.Response(
            body=json.dumps(
                {
                    "message": "You are being rate limited.",
                    "retry_after": wait_s,
                    "global": is_global,
                }
            ).encode(),
            status=429,
            headers={
                "Content-Type": "application/json",
                "Retry-After": str(max(1, math.ceil(wait_s))),
                "X-RateLimit-Limit": str(count),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + wait_s:.3f}",
                "X-RateLimit-Reset-After": f"{wait_s:.3f}",
                "X-RateLimit-Bucket": f"fake-{method}-{parts[0]}",
                "X-RateLimit-Scope": "global" if is_global else "user",
                **({"X-RateLimit-Global": "true"} if is_global else {}),
                # Discord's API answers through Google's front end; a 429 without it is
                # Cloudflare's, which clients (discord.py included) must not retry.
                "Via": "1.1 google",
            },
        )

    # -- waiting for the bot ----------------------------------------------------------------

    def expect(self, matches: Callable[[Call], bool]) -> asyncio.Future[Call]:
        """A future for the next REST call that ``matches`` (register before dispatching)."""
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters.append((matches, future))
        return future

    def callbacks_for(self, interaction: dict[str, Any]) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(f"/interactions/{interaction['id']}/")]

    def webhook_calls(self, interaction: dict[str, Any]) -> list[Call]:
        return [
            c for c in self.calls if c.path.startswith(f"/webhooks/{APP_ID}/{interaction['token']}")
        ]


def application_object() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "Ship or Skip",
        "icon": None,
        "description": "Panel verdicts on AI tools",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user_object("740000000000000001", "owner"),
        "team": None,
        "flags": 0,
        "bot": BOT_USER,
    }


def guild_object(guild_id: int) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": f"Guild {guild_id}",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": "740000000000000001",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": str(VIEW_AND_SEND),
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": False,
        "joined_at": "2025-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 2,
        "voice_states": [],
        "members": [],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    }
