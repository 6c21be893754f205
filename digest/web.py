"""Web routes of the digest on the one aiohttp app: sign-up, confirm, unsubscribe, archive."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.core.context import CommandContext
from bot.core.views import ErrorView, VoteResult
from db.digest_models import Subscriber
from db.queries.subscribers import subscriber_by_link_key
from db.queries.tools import ToolName, tool_by_slug
from digest.issues import find_issue, list_issues
from digest.links import IssueLinks
from digest.pipeline import DigestDeps
from digest.render import environment, render_html
from digest.tokens import BadToken
from digest.vote_tokens import Verdict
from digest.weeks import WEEK_RE

if TYPE_CHECKING:
    from bot.core.service import CommandService
    from bot.runner import Runtime

DEPS_KEY: web.AppKey[DigestDeps] = web.AppKey("digest_deps")
CSRF_COOKIE = "sos_csrf"
ARCHIVE_CACHE_SIZE = 16
_NO_STORE = {"Cache-Control": "no-store"}


def route_installer(app: web.Application, runtime: Runtime) -> None:
    """The runner's hook: digest routes over the process's one digest runtime."""
    install_routes(app, runtime.digest_runtime(), runtime.service)


def install_routes(
    app: web.Application, deps: DigestDeps, service: CommandService | None = None
) -> None:
    """The digest's pages; with ``service``, also the Ship/Skip links of the emails."""
    app[DEPS_KEY] = deps
    archive: OrderedDict[str, str] = OrderedDict()

    def page(kind: str, title: str, status: int = 200, **values: Any) -> web.Response:
        body = (
            environment()
            .get_template("digest/page.html.j2")
            .render(kind=kind, title=title, public_url=deps.public_url, **values)
        )
        return web.Response(text=body, status=status, content_type="text/html", headers=_NO_STORE)

    def message(title: str, text: str, status: int = 200) -> web.Response:
        return page("message", title, status, message=text, error=status >= 400)

    def with_csrf(response: web.Response, nonce: str) -> web.Response:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="Strict",
            max_age=3600,
            secure=deps.public_url.startswith("https://"),
        )
        return response

    async def csrf_refused(request: web.Request, form: Any) -> web.Response | None:
        """None when the form's signed nonce matches the cookie and was never posted before."""
        token = str(form.get("csrf", ""))
        nonce = deps.tokens.read_csrf(token) if token else None
        cookie = request.cookies.get(CSRF_COOKIE)
        if (
            nonce is None
            or cookie is None
            or not secrets.compare_digest(nonce, cookie)
            # Single use: a script can't replay one fetched form a thousand times.
            or not await deps.subscriptions().spend_form_nonce(nonce)
        ):
            return message(
                "Form expired",
                "This form has expired or did not come from our page. Reload it and try again.",
                403,
            )
        return None

    async def read_form(request: web.Request) -> Any:
        try:
            return await request.post()
        except (ValueError, UnicodeDecodeError, aiohttp.BadContentDispositionHeader):
            # A malformed multipart or urlencoded body: the browser form never sends one.
            return None

    async def subscribe_form(request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        return with_csrf(
            page("subscribe", "Get the weekly digest", csrf=deps.tokens.csrf_token(nonce)), nonce
        )

    async def subscribe_submit(request: web.Request) -> web.Response:
        form = await read_form(request)
        if form is None:
            return message("Not subscribed", "The form could not be read. Try again.", 400)
        if (refused := await csrf_refused(request, form)) is not None:
            return refused
        result = await deps.subscriptions().request(
            str(form.get("email", "")),
            source="web",
            requester=f"ip:{client_ip(request, deps.settings.app.trusted_proxy)}",
        )
        if isinstance(result, ErrorView):
            status = 429 if result.code == "rate_limited" else 400
            return message("Not subscribed", result.full_text, status)
        return message("Check your inbox", result.message)

    async def confirm_page(request: web.Request) -> web.Response:
        # Link scanners GET (and HEAD) every link: this only shows a button.
        token = request.match_info["token"]
        found = await deps.subscriptions().pending_for_confirm(token)
        if isinstance(found, BadToken):
            return message("Link not valid", found.message, 400)
        if found.status == "confirmed":
            return message("You're subscribed", f"{found.email} gets the digest every week.")
        nonce = secrets.token_urlsafe(16)
        return with_csrf(
            page(
                "confirm",
                "Confirm your subscription",
                email=found.email,
                action=f"{deps.public_url}/confirm/{token}",
                csrf=deps.tokens.csrf_token(nonce),
            ),
            nonce,
        )

    async def confirm(request: web.Request) -> web.Response:
        form = await read_form(request)
        if form is None:
            return message("Not subscribed", "The form could not be read. Try again.", 400)
        if (refused := await csrf_refused(request, form)) is not None:
            return refused
        result = await deps.subscriptions().confirm(request.match_info["token"])
        if isinstance(result, BadToken):
            return message("Link not valid", result.message, 400)
        return message("You're subscribed", f"{result} will get the digest every week.")

    async def unsubscribe_page(request: web.Request) -> web.Response:
        # Mail scanners fetch links: GET only asks, it never unsubscribes.
        token = request.match_info["token"]
        found = await deps.subscriptions().subscriber_for_unsubscribe(token)
        if isinstance(found, BadToken):
            return message("Link not valid", found.message, 400)
        if found is None or found.status == "unsubscribed":
            return message("Unsubscribed", "This address does not get the digest any more.")
        return page(
            "unsubscribe",
            "Unsubscribe",
            email=found.email,
            action=f"{deps.public_url}/unsubscribe/{token}",
        )

    async def unsubscribe_now(request: web.Request) -> web.Response:
        # RFC 8058: a POST (urlencoded or multipart) unsubscribes at once; no cookie, no redirect.
        if request.can_read_body:
            await request.read()
        result = await deps.subscriptions().unsubscribe(request.match_info["token"])
        if isinstance(result, BadToken):
            return message("Link not valid", result.message, 400)
        return message("Unsubscribed", f"{result} will not get the digest any more.")

    async def issues(_request: web.Request) -> web.Response:
        return page("issues", "Weekly digest archive", issues=await list_issues(deps.database))

    async def issue(request: web.Request) -> web.Response:
        week = request.match_info["week"]
        if not WEEK_RE.match(week):
            return message("Not found", "Issues are named by ISO week, like 2026-W47.", 404)
        html = archive.get(week)
        if html is None:
            found = await find_issue(deps.database, week)
            if found is None:
                return message("Not found", f"There is no issue for {week}.", 404)
            html = render_html(
                found.snapshot,
                deps.public_url,
                personal=False,
                postal_address=deps.settings.mail.mail_postal_address,
            )
            archive[week] = html
            while len(archive) > ARCHIVE_CACHE_SIZE:
                archive.popitem(last=False)
        return web.Response(text=html, content_type="text/html")

    async def vote_target(token: str) -> tuple[Subscriber, ToolName, Verdict] | web.Response:
        """The subscriber, tool and verdict a vote link names, or the page saying why not."""
        claim = deps.vote_tokens.read(token)
        if isinstance(claim, BadToken):
            text = (
                "This voting link has expired. Vote on the tool's page instead."
                if claim.problem == "expired"
                else claim.message
            )
            return message("Link not valid", text, 400)
        async with deps.database.read() as session:
            subscriber = await subscriber_by_link_key(session, claim.link_key)
            tool = await tool_by_slug(session, claim.slug)
        if subscriber is None or subscriber.status != "confirmed":
            return message("Not found", "This link belongs to a subscription that has ended.", 404)
        if tool is None:
            return message("Not found", "This tool is no longer in the catalog.", 404)
        return subscriber, tool, claim.verdict

    async def vote_page(request: web.Request) -> web.Response:
        # Mail scanners GET (and HEAD) every link: this only shows a button.
        token = request.match_info["token"]
        found = await vote_target(token)
        if isinstance(found, web.Response):
            return found
        _, tool, verdict = found
        nonce = secrets.token_urlsafe(16)
        return with_csrf(
            page(
                "vote",
                f"{verdict.capitalize()} {tool.name}?",
                tool=tool.name,
                verdict=verdict,
                action=f"{deps.public_url}/vote/{token}",
                csrf=deps.tokens.csrf_token(nonce),
                tool_url=IssueLinks(deps.public_url, "vote").tool(tool.slug),
            ),
            nonce,
        )

    async def vote_now(request: web.Request) -> web.Response:
        assert service is not None
        form = await read_form(request)
        if form is None:
            return message("Not counted", "The form could not be read. Try again.", 400)
        if (refused := await csrf_refused(request, form)) is not None:
            return refused
        found = await vote_target(request.match_info["token"])
        if isinstance(found, web.Response):
            return found
        subscriber, tool, verdict = found
        # The subscriber's person: the email identity, which a /subscribe in chat linked
        # to the chat account, so this replaces that person's chat vote instead of adding one.
        ctx = CommandContext(
            "email", "digest", f"subscriber:{subscriber.id}", email=subscriber.email
        )
        result = await service.vote_by_id(ctx, tool.id, verdict)
        if isinstance(result, ErrorView):
            status = 429 if result.code == "rate_limited" else 400
            return message("Not counted", result.full_text, status)
        assert isinstance(result, VoteResult)
        return page(
            "voted",
            "Vote counted" if result.outcome != "unchanged" else "Already counted",
            said=result.message,
            result=result,
            tool_url=IssueLinks(deps.public_url, "vote").tool(tool.slug),
        )

    if service is not None:
        app.router.add_get("/vote/{token}", vote_page)
        app.router.add_post("/vote/{token}", vote_now)
    app.router.add_get("/subscribe", subscribe_form)
    app.router.add_post("/subscribe", subscribe_submit)
    app.router.add_get("/confirm/{token}", confirm_page)
    app.router.add_post("/confirm/{token}", confirm)
    app.router.add_get("/unsubscribe/{token}", unsubscribe_page)
    app.router.add_post("/unsubscribe/{token}", unsubscribe_now)
    app.router.add_get("/digests", issues)
    app.router.add_get("/digests/{week}", issue)


def client_ip(request: web.Request, trusted_proxy: IPv4Address | IPv6Address | None) -> str:
    """The peer's address; X-Forwarded-For only when the peer is our own proxy.

    Anyone can send the header, so believing it from others would let a script pick a
    fresh "IP" for every request. The proxy appends the address it saw, so the last entry
    is the one it vouches for.
    """
    peer = request.remote or "unknown"
    if trusted_proxy is None or peer != str(trusted_proxy):
        return peer
    forwarded = request.headers.get("X-Forwarded-For", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ip_address(last))
    except ValueError:
        return peer
