"""A fake Slack on 127.0.0.1: Web API, response_url target and a Socket Mode WebSocket.

It records every call, answers like Slack does, and checks every message it gets
against Block Kit's limits and our mention-safety rule. Tests assert that
``problems`` stays empty.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
# "You can use a response_url up to five times within 30 minutes" (Slack: handling interactions).
RESPONSE_URL_USES = 5
RESPONSE_URL_WINDOW_S = 30 * 60
_ANGLE = re.compile(r"<([^>]*)>")


@dataclass
class Call:
    method: str
    payload: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Workspace:
    team_id: str
    bot_token: str
    team_name: str = "Test Team"
    admins: set[str] = field(default_factory=set)


def _text_problems(where: str, text: str) -> list[str]:
    """mrkdwn may only contain <http...|...> links; never <!channel>, <@U..> etc."""
    problems = []
    for inner in _ANGLE.findall(text):
        if not inner.startswith(("http://", "https://")):
            problems.append(f"{where}: control sequence <{inner}>")
    if "<" in _ANGLE.sub("", text) or ">" in _ANGLE.sub("", text):
        problems.append(f"{where}: unescaped angle bracket in {text[:80]!r}")
    return problems


def _object_text(where: str, obj: dict[str, Any], limit: int) -> list[str]:
    text = obj.get("text", "")
    problems = []
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: empty text")
        return problems
    if len(text) > limit:
        problems.append(f"{where}: text {len(text)} > {limit}")
    if obj.get("type") == "mrkdwn":
        problems += _text_problems(where, text)
    elif "<" in text or ">" in text:
        # plain_text is unparsed, but we promise no text can ever read as <!channel>.
        problems.append(f"{where}: angle bracket in plain_text {text[:80]!r}")
    return problems


def block_problems(blocks: list[dict[str, Any]], max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Every way ``blocks`` breaks Block Kit's documented limits."""
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    for n, block in enumerate(blocks):
        kind = block.get("type")
        where = f"block {n} ({kind})"
        if len(block.get("block_id", "")) > 255:
            problems.append(f"{where}: block_id too long")
        if kind == "header":
            problems += _object_text(where, block["text"], 150)
            if block["text"].get("type") != "plain_text":
                problems.append(f"{where}: header must be plain_text")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: neither text nor fields")
            if "text" in block:
                problems += _object_text(where, block["text"], 3000)
            fields = block.get("fields", [])
            if len(fields) > 10:
                problems.append(f"{where}: {len(fields)} fields > 10")
            for f in fields:
                problems += _object_text(f"{where} field", f, 2000)
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: {len(elements)} elements")
            for e in elements:
                problems += _object_text(f"{where} element", e, 2000)
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: {len(elements)} elements")
            ids = [e.get("action_id") for e in elements]
            if len(set(ids)) != len(ids):
                problems.append(f"{where}: duplicate action_id")
            for e in elements:
                problems += _object_text(f"{where} button", e["text"], 75)
                if len(e.get("value", "")) > 2000:
                    problems.append(f"{where}: value too long")
                if not 0 < len(e.get("action_id", "")) <= 255:
                    problems.append(f"{where}: bad action_id")
        elif kind != "divider":
            problems.append(f"{where}: unexpected block type")
    return problems


def message_problems(payload: dict[str, Any], max_blocks: int = MAX_BLOCKS) -> list[str]:
    problems = []
    if payload.get("link_names") not in (None, False, "false", "0", 0):
        problems.append("link_names set")
    if payload.get("parse") == "full":
        problems.append("parse=full")
    text = payload.get("text")
    if isinstance(text, str):
        problems += _text_problems("fallback text", text)
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if blocks is not None:
        problems += block_problems(blocks, max_blocks)
    return problems


class FakeSlack:
    """Start with ``await fake.start()``; ``url`` is the Web API base to give the app."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.workspaces: dict[str, Workspace] = {}
        self.oauth_codes: dict[str, Workspace] = {}
        self.client_id = "111.222"
        self.client_secret = "fake-client-secret"
        self.app_token = "xapp-1-fake"
        self.refuse_ephemeral_in: set[str] = set()
        self.sockets: list[web.WebSocketResponse] = []
        # response_url key -> futures resolved by the next call to it (benchmarks).
        self._expected: dict[str, asyncio.Future[Call]] = {}
        self.socket_replies: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Rate limits as documented: per method (per workspace), a number of calls per window;
        # over it Slack answers HTTP 429 {"ok": false, "error": "ratelimited"} with Retry-After.
        self.limits: dict[str, tuple[int, float]] = {}
        self._recent: dict[tuple[str, str | None], deque[float]] = {}
        self.limited: list[Call] = []
        # chat.postMessage: about one message per second per channel (special tier).
        self.post_per_channel_s: float | None = None
        self._last_post: dict[str, float] = {}
        # Messages as the channel sees them, by (channel, ts); chat.update and
        # replace_original edit them in place.
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.edits: dict[tuple[str, str], int] = {}
        self.url_message: dict[str, tuple[str, str]] = {}
        self.url_channel: dict[str, str] = {}
        self.url_uses: dict[str, list[float]] = {}
        # Channels the bot can no longer post in, with the error Slack gives.
        self.channel_errors: dict[str, str] = {}
        self._edit_waiters: dict[tuple[str, str], list[asyncio.Future[float]]] = {}

    # -- set-up ---------------------------------------------------------------------------

    def add_workspace(self, team_id: str, bot_token: str, admins: set[str] | None = None) -> None:
        self.workspaces[bot_token] = Workspace(team_id, bot_token, admins=admins or set())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(
        self, key: str, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response_url; with ``message_ts`` it belongs to a click on that message."""
        if channel is not None:
            self.url_channel[key] = channel
            if message_ts is not None:
                self.url_message[key] = (channel, message_ts)
        return f"http://127.0.0.1:{self.port}/response/{key}"

    def expect_edit(self, channel: str, ts: str) -> asyncio.Future[float]:
        """A future for the next edit of a stored message (its perf_counter time)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._edit_waiters.setdefault((channel, ts), []).append(future)
        return future

    def _edited(self, key: tuple[str, str]) -> None:
        self.edits[key] = self.edits.get(key, 0) + 1
        for future in self._edit_waiters.pop(key, []):
            if not future.done():
                future.set_result(time.perf_counter())

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as everyone in the channel sees it now."""
        return self.messages[(channel, ts)]

    def _new_ts(self) -> str:
        return f"{time.time():.0f}.{next(self._ts):06d}"

    def _over_limit(self, method: str, token: str | None) -> float | None:
        """Seconds to wait when this call breaks the method's limit, else None (and count it)."""
        limit = self.limits.get(method)
        if limit is None:
            return None
        count, window = limit
        now = time.monotonic()
        recent = self._recent.setdefault((method, token), deque())
        while recent and recent[0] <= now - window:
            recent.popleft()
        if len(recent) >= count:
            return recent[0] + window - now
        recent.append(now)
        return None

    @staticmethod
    def _ratelimited(wait_s: float) -> web.Response:
        # Retry-After is a whole number of seconds.
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- inspection -----------------------------------------------------------------------

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[list[Call]], bool], within: float = 5.0
    ) -> list[Call]:
        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.calls))

        await asyncio.wait_for(check(), within)
        return self.calls

    async def wait_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        await self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, within)
        return self.named(method)

    async def _record(self, call: Call, max_blocks: int = MAX_BLOCKS) -> None:
        self.problems += [f"{call.method}: {p}" for p in message_problems(call.payload, max_blocks)]
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # -- Web API --------------------------------------------------------------------------

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        query = dict(request.query)
        if request.content_type == "application/json":
            return query | dict(json.loads(raw or "{}"))
        return query | dict(parse_qsl(raw, keep_blank_values=True))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._payload(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else payload.get("token")
        wait_s = self._over_limit(method, token)
        if wait_s is not None:
            self.limited.append(Call(method, payload, token))
            return self._ratelimited(wait_s)
        if method == "views.publish":
            view = payload.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            await self._record(Call(method, {"blocks": view["blocks"]}, token), MAX_HOME_BLOCKS)
            self.calls[-1].payload = payload | {"view": view}
        elif method != "oauth.v2.access":
            await self._record(Call(method, payload, token))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if (
            method not in ("oauth.v2.access", "apps.connections.open")
            and token not in self.workspaces
        ):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer: dict[str, Any] = await handler(request, payload, token)
        return web.json_response(answer)

    async def _auth_test(self, _r: web.Request, _p: dict[str, Any], token: str) -> dict[str, Any]:
        ws = self.workspaces[token]
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": ws.team_name,
            "user": "shiporskip",
            "team_id": ws.team_id,
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }

    async def _chat_postMessage(
        self, _r: web.Request, p: dict[str, Any], _t: str
    ) -> dict[str, Any]:
        channel = str(p.get("channel"))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        ts = self._new_ts()
        self.messages[(channel, ts)] = self._content(p)
        return {"ok": True, "channel": channel, "ts": ts}

    @staticmethod
    def _content(p: dict[str, Any]) -> dict[str, Any]:
        blocks = p.get("blocks")
        return {
            "text": p.get("text"),
            "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
        }

    async def _chat_update(self, _r: web.Request, p: dict[str, Any], _t: str) -> dict[str, Any]:
        key = (str(p.get("channel")), str(p.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key] = self._content(p)
        self._edited(key)
        return {"ok": True, "channel": key[0], "ts": key[1]}

    async def _chat_postEphemeral(
        self, _r: web.Request, p: dict[str, Any], _t: str
    ) -> dict[str, Any]:
        if p.get("channel") in self.refuse_ephemeral_in:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": f"{time.time():.0f}.{next(self._ts):06d}"}

    async def _chat_unfurl(self, _r: web.Request, p: dict[str, Any], _t: str) -> dict[str, Any]:
        """chat.unfurl: (channel + ts) or (unfurl_id + source), and ``unfurls``, a JSON
        object (sent as a string in form bodies) mapping each shared URL to its content."""
        if not ((p.get("channel") and p.get("ts")) or (p.get("unfurl_id") and p.get("source"))):
            return {"ok": False, "error": "invalid_arguments"}
        unfurls = p.get("unfurls")
        if isinstance(unfurls, str):
            try:
                unfurls = json.loads(unfurls)
            except ValueError:
                return {"ok": False, "error": "invalid_unfurls"}
        if not isinstance(unfurls, dict) or not unfurls:
            return {"ok": False, "error": "missing_unfurls"}
        for url, content in unfurls.items():
            if not isinstance(content, dict):
                return {"ok": False, "error": "invalid_unfurls"}
            if "blocks" in content:
                self.problems += [
                    f"chat.unfurl {url}: {x}" for x in block_problems(content["blocks"])
                ]
        return {"ok": True}

    async def _views_publish(self, _r: web.Request, p: dict[str, Any], _t: str) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1", "type": "home"}}

    async def _users_info(self, _r: web.Request, p: dict[str, Any], token: str) -> dict[str, Any]:
        user = str(p.get("user"))
        admin = user in self.workspaces[token].admins
        return {"ok": True, "user": {"id": user, "is_admin": admin, "is_owner": False}}

    async def _oauth_v2_access(
        self, request: web.Request, p: dict[str, Any], _t: str | None
    ) -> dict[str, Any]:
        import base64

        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        client = base64.b64decode(basic).decode() if basic else ""
        if client != f"{self.client_id}:{self.client_secret}" and (
            p.get("client_id"),
            p.get("client_secret"),
        ) != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        ws = self.oauth_codes.pop(str(p.get("code")), None)
        if ws is None:
            return {"ok": False, "error": "invalid_code"}
        self.workspaces[ws.bot_token] = ws
        self.calls.append(Call("oauth.v2.access", {"code": p.get("code")}, None))
        return {
            "ok": True,
            "access_token": ws.bot_token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read",
            "bot_user_id": "UBOT",
            "app_id": "A0APP",
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "UINSTALLER"},
        }

    async def _apps_connections_open(
        self, _r: web.Request, _p: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # -- response_url -----------------------------------------------------------------------

    def expect_response(self, key: str) -> asyncio.Future[Call]:
        """A future for the next call to ``response_url(key)``."""
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._expected[key] = future
        return future

    async def _response(self, request: web.Request) -> web.Response:
        payload = dict(json.loads(await request.text()))
        key = request.match_info["key"]
        wait_s = self._over_limit("response_url", None)
        if wait_s is not None:
            self.limited.append(Call("response_url", payload | {"_key": key}, None))
            return self._ratelimited(wait_s)
        now = time.monotonic()
        uses = [t for t in self.url_uses.get(key, []) if t > now - RESPONSE_URL_WINDOW_S]
        if len(uses) >= RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        self.url_uses[key] = [*uses, now]
        call = Call("response_url", payload | {"_key": key}, None)
        await self._record(call)
        self._apply_response(key, payload)
        future = self._expected.pop(key, None)
        if future is not None and not future.done():
            future.set_result(call)
        return web.Response(text="ok")

    def acked(self, key: str, payload: dict[str, Any]) -> None:
        """A slash command's ack carried a message: Slack shows it like a response_url answer.

        An ``in_channel`` ack is posted in the channel (with a ts that later clicks carry);
        it uses none of the response_url's five uses. Tests call this with the ack they got.
        """
        self._apply_response(key, payload)

    def _apply_response(self, key: str, payload: dict[str, Any]) -> None:
        """What the channel sees: replace_original edits the clicked message; in_channel posts."""
        original = self.url_message.get(key)
        if payload.get("replace_original") is True and original in self.messages:
            assert original is not None
            self.messages[original] = self._content(payload)
            self._edited(original)
        elif payload.get("response_type") == "in_channel" and not payload.get("replace_original"):
            channel = self.url_channel.get(key, "C0GENERAL")
            ts = self._new_ts()
            self.messages[(channel, ts)] = self._content(payload)
            self.url_message.setdefault(key, (channel, ts))

    # -- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with self._changed:
            self.sockets.append(ws)
            self._changed.notify_all()
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_replies.append(json.loads(message.data))
                    self._changed.notify_all()
        self.sockets.remove(ws)
        return ws

    async def push(self, envelope: dict[str, Any], within: float = 5.0) -> dict[str, Any]:
        """Send an envelope to the connected app; returns its ack."""
        if not self.sockets:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.sockets)), within)
        await self.sockets[-1].send_json(envelope)
        envelope_id = envelope["envelope_id"]

        def acked() -> bool:
            return any(r.get("envelope_id") == envelope_id for r in self.socket_replies)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(acked), within)
        return next(r for r in self.socket_replies if r.get("envelope_id") == envelope_id)
