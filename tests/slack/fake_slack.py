"""A fake Slack on 127.0.0.1: Web API, response_url target and a Socket Mode WebSocket.

It records every call, answers like Slack does, and checks every message it gets
against Block Kit's limits and our mention-safety rule. Tests assert that
``problems`` stays empty.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
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

    # -- set-up ---------------------------------------------------------------------------

    def add_workspace(self, team_id: str, bot_token: str, admins: set[str] | None = None) -> None:
        self.workspaces[bot_token] = Workspace(team_id, bot_token, admins=admins or set())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

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
        return {
            "ok": True,
            "channel": p.get("channel"),
            "ts": f"{time.time():.0f}.{next(self._ts):06d}",
        }

    async def _chat_update(self, _r: web.Request, p: dict[str, Any], _t: str) -> dict[str, Any]:
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}

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
        call = Call("response_url", payload | {"_key": key}, None)
        await self._record(call)
        future = self._expected.pop(key, None)
        if future is not None and not future.done():
            future.set_result(call)
        return web.Response(text="ok")

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
