"""The public site on the one aiohttp app: home, comparisons, tools, feeds, sign-in, votes."""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.core.links import canonical_pair, compare_path, compare_url, og_image_url, split_pair
from bot.core.links import tool_url as tool_link
from bot.core.service import CommandService
from bot.core.views import ErrorView, VoteResult
from bot.web.site.og_image import ImageCache
from bot.web.site.pages import LatestIssue, SearchHit, SitePages, card_version
from bot.web.site.render import render, stylesheet
from bot.web.site.session import Sessions, Visitor, safe_next
from bot.web.site.signin import Provider, SignInFailed, providers
from db.queries import site as site_queries
from db.queries.votes import Tally
from digest.issues import list_issues

if TYPE_CHECKING:
    from bot.runner import Runtime
    from digest.pipeline import DigestDeps

log = logging.getLogger(__name__)
SITE_NAME = "Ship or Skip"
TALLY_TTL_S = 1.0
HTML_CACHE_SIZE = 512
# Stands in for the visitor's sign-up form token in a cached page (never user text).
_CSRF_SLOT = "\x00csrf-slot\x00"
_PAGE_HEADERS = {"Cache-Control": "private, no-cache"}
# The sign-up form is the digest's: its CSRF nonce lives in the digest's cookie.
SIGNUP_CSRF_COOKIE = "sos_csrf"


def route_installer(app: web.Application, runtime: Runtime) -> None:
    """The runner's hook: the public pages over the process's command service."""
    Site(runtime).install(app)


class Site:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.public_url = settings.app.public_url
        # Votes and bookmarks go through the chat's own service (one batcher, one person);
        # pages read through a second one over the same index that reuses community
        # tallies for a second, so a busy page costs no query per view.
        self.service = runtime.service
        self.reader = CommandService(
            runtime.database,
            index=runtime.service.index,
            public_url=self.public_url,
            tally_ttl_s=TALLY_TTL_S,
        )
        self.pages = SitePages(self.reader)
        self.database = runtime.database
        self.digest: DigestDeps = runtime.digest_runtime()
        self.sessions = Sessions(
            settings.app.secret_key.get_secret_value(),
            secure=self.public_url.startswith("https://"),
        )
        self.providers: dict[str, Provider] = providers(settings)
        self.images = ImageCache()
        self._html: OrderedDict[tuple[str, object], str] = OrderedDict()

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._not_found_middleware)
        router = app.router
        router.add_get("/", self.home)
        router.add_get("/static/site.css", self.css)
        router.add_get("/compare/{pair}", self.compare)
        router.add_get("/og/compare/{pair}.png", self.og_image)
        router.add_get(r"/tools/{slug:[^/]+}.atom", self.tool_feed)
        router.add_get("/tools/{slug}", self.tool)
        router.add_get("/digests.atom", self.digest_feed)
        router.add_get("/signin", self.signin_choice)
        router.add_get("/signin/{provider}", self.signin_start)
        router.add_get("/signin/{provider}/callback", self.signin_callback)
        router.add_post("/signout", self.signout)
        router.add_post("/vote", self.vote)
        router.add_post("/bookmark", self.bookmark)

    # -- rendering -----------------------------------------------------------------------------

    def _page(
        self,
        request: web.Request,
        template: str,
        *,
        title: str,
        description: str,
        status: int = 200,
        image: str | None = None,
        feed: tuple[str, str] | None = None,
        cache_key: tuple[object, ...] | None = None,
        **values: Any,
    ) -> web.Response:
        visitor = self.sessions.visitor(request)
        flash = self.sessions.read_flash(request)
        nonce = request.cookies.get(SIGNUP_CSRF_COOKIE) or secrets.token_urlsafe(16)
        # What a signed-out visitor sees depends only on the page's data, so it is kept,
        # rendered, by ``cache_key``; the visitor's own form token goes in afterwards.
        shared = cache_key is not None and visitor is None and flash is None
        key = (request.path_qs, cache_key)
        body = self._html.get(key) if shared else None
        if body is None:
            body = render(
                template,
                site_name=SITE_NAME,
                title=title,
                description=description,
                canonical=self.public_url + request.path,
                image=image,
                feed=feed,
                visitor=visitor,
                here=request.path_qs,
                providers=list(self.providers.values()),
                flash=flash,
                signup_csrf=_CSRF_SLOT,
                **values,
            )
            if shared:
                self._html[key] = body
                while len(self._html) > HTML_CACHE_SIZE:
                    self._html.popitem(last=False)
        body = body.replace(_CSRF_SLOT, self.digest.tokens.csrf_token(nonce), 1)
        response = web.Response(
            text=body, status=status, content_type="text/html", headers=_PAGE_HEADERS
        )
        if SIGNUP_CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                SIGNUP_CSRF_COOKIE,
                nonce,
                httponly=True,
                samesite="Strict",
                max_age=3600,
                secure=self.sessions.secure,
            )
        if request.cookies.get("sos_flash"):
            response.del_cookie("sos_flash", path="/")
        return response

    def _message(self, request: web.Request, title: str, text: str, status: int) -> web.Response:
        return self._page(
            request, "site/message.html.j2", title=title, description=text, status=status, text=text
        )

    async def _not_found(self, request: web.Request, wanted: str = "") -> web.Response:
        suggestions: tuple[SearchHit, ...] = ()
        if wanted:
            suggestions = await self.pages.suggestions(wanted)
        return self._page(
            request,
            "site/not_found.html.j2",
            title="Page not found",
            description="We have no page at this address.",
            status=404,
            wanted=wanted,
            suggestions=suggestions,
        )

    @web.middleware
    async def _not_found_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            if request.method != "GET" or request.path.startswith(("/slack/", "/metrics")):
                raise
            return await self._not_found(request, request.path.strip("/").rsplit("/", 1)[-1])
        return response

    async def css(self, _request: web.Request) -> web.Response:
        # Linked with ?v=<hash>, so browsers may keep it for a year.
        return web.Response(
            body=stylesheet(),
            content_type="text/css",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    # -- pages ---------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()[:100]
        issues = await list_issues(self.database)
        latest = LatestIssue(issues[0][0], issues[0][1]) if issues else None
        page = await self.pages.home(query, latest)
        return self._page(
            request,
            "site/home.html.j2",
            title=f"{SITE_NAME}: panel verdicts on AI tools",
            description="Should you ship with it? Side-by-side panel verdicts, pricing and "
            "community votes for AI tools.",
            feed=("/digests.atom", "Weekly digest"),
            cache_key=(page,),
            page=page,
        )

    async def _pair(self, request: web.Request) -> tuple[str, str] | web.Response:
        pair = request.match_info["pair"]
        await self.reader.index.refresh(self.database)
        slugs = split_pair(pair, set(self.reader.index.by_slug))
        if slugs is None:
            return await self._not_found(request, pair)
        return slugs

    async def compare(self, request: web.Request) -> web.Response:
        slugs = await self._pair(request)
        if isinstance(slugs, web.Response):
            return slugs
        tools = [await self.pages.tool_named(slug) for slug in slugs]
        unknown = [slug for slug, tool in zip(slugs, tools, strict=True) if tool is None]
        if unknown:
            return await self._not_found(request, unknown[0])
        first, second = canonical_pair(*slugs)
        if (first, second) != slugs:
            return _redirect(compare_path(first, second), 301)
        if first == second:
            return _redirect(f"/tools/{first}", 301)
        one, two = self.reader.index.by_slug[first], self.reader.index.by_slug[second]
        card = await self.pages.compare(one, two)
        if isinstance(card, ErrorView):
            return await self._not_found(request, first)
        version = card_version(card)
        return self._page(
            request,
            "site/compare.html.j2",
            title=f"{card.title}: Which AI Tool Should You Ship? — {SITE_NAME}",
            description=card.decision,
            image=og_image_url(self.public_url, first, second, version),
            # The card is frozen data: equal cards render equal pages.
            cache_key=(card,),
            card=card,
            bookmarks=await self._bookmarks(request),
        )

    async def _bookmarks(self, request: web.Request) -> Any:
        visitor = self.sessions.visitor(request)
        if visitor is None:
            return None
        return await self.service.bookmarks(visitor.context)

    async def tool(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        found = await self.pages.tool_named(slug)
        if found is None:
            return await self._not_found(request, slug)
        page = await self.pages.tool(found)
        if isinstance(page, ErrorView):
            return await self._not_found(request, slug)
        card = page.card
        return self._page(
            request,
            "site/tool.html.j2",
            title=f"{card.name}: {card.panel.label} — {SITE_NAME}",
            description=f"{card.best_for}. Panel: {card.panel.label}. Community: "
            f"{card.community.label}.",
            feed=(f"/tools/{card.slug}.atom", f"{card.name} verdict changes"),
            cache_key=(page,),
            page=page,
            bookmarks=await self._bookmarks(request),
        )

    async def og_image(self, request: web.Request) -> web.Response:
        slugs = await self._pair(request)
        if isinstance(slugs, web.Response):
            return slugs
        first, second = canonical_pair(*slugs)
        by_slug = self.reader.index.by_slug
        if first not in by_slug or second not in by_slug or first == second:
            raise web.HTTPNotFound()
        card = await self.pages.compare(by_slug[first], by_slug[second])
        if isinstance(card, ErrorView):
            raise web.HTTPNotFound()
        version = card_version(card)
        png = self.images.get(f"{first}:{second}", version, card)
        # Only the current version's URL may be kept for long; an old one shows today's card.
        fresh = request.query.get("v") == version
        cache = "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
        return web.Response(body=png, content_type="image/png", headers={"Cache-Control": cache})

    # -- feeds ---------------------------------------------------------------------------------

    def _feed(self, **values: Any) -> web.Response:
        body = render("site/feed.atom.j2", public_url=self.public_url, **values)
        return web.Response(
            text=body,
            content_type="application/atom+xml",
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def digest_feed(self, _request: web.Request) -> web.Response:
        issues = await list_issues(self.database)
        entries = [
            {
                "id": f"{self.public_url}/digests/{week}",
                "title": subject,
                "link": f"{self.public_url}/digests/{week}",
                "updated": _iso(built),
                "summary": f"The Ship or Skip digest for {week}.",
            }
            for week, subject, built in issues[:50]
        ]
        return self._feed(
            feed_id=f"{self.public_url}/digests.atom",
            feed_title=f"{SITE_NAME} weekly digest",
            self_link=f"{self.public_url}/digests.atom",
            alternate=f"{self.public_url}/digests",
            updated=entries[0]["updated"] if entries else _iso(_EPOCH),
            entries=entries,
        )

    async def tool_feed(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        found = await self.pages.tool_named(slug)
        if found is None:
            return await self._not_found(request, slug)
        card = await self.reader.tool_by_id(found.id)
        if isinstance(card, ErrorView):
            return await self._not_found(request, slug)
        async with self.database.read() as session:
            history = await site_queries.review_history(session, found.id)
            changed = await site_queries.tool_updated_at(session, found.id)
        page = tool_link(self.public_url, slug)
        entries = []
        for old in history[:50]:
            now = card.review_by(old.critic_slug)
            current = now.label if now else "withdrawn"
            entries.append(
                {
                    "id": f"{page}#change-{old.critic_slug}-{old.superseded_at.timestamp():.0f}",
                    "title": f"{old.critic_name} on {card.name}: {old.score}/100 · "
                    f"{old.verdict} → {current}",
                    "link": page,
                    "updated": _iso(old.superseded_at),
                    "summary": f"{old.critic_name} changed their review of {card.name} "
                    f"(was {old.score}/100 · {old.verdict}, reviewed {old.reviewed}).",
                }
            )
        updated = entries[0]["updated"] if entries else _iso(changed or _EPOCH)
        return self._feed(
            feed_id=f"{page}.atom",
            feed_title=f"{card.name}: verdict changes — {SITE_NAME}",
            self_link=f"{page}.atom",
            alternate=page,
            updated=updated,
            entries=entries,
        )

    # -- sign-in -------------------------------------------------------------------------------

    async def signin_choice(self, request: web.Request) -> web.Response:
        return self._page(
            request,
            "site/signin.html.j2",
            title=f"Sign in — {SITE_NAME}",
            description="Sign in with Discord or Slack to vote and keep bookmarks.",
            next_path=safe_next(request.query.get("next", "/")),
        )

    def _provider(self, request: web.Request) -> Provider:
        provider = self.providers.get(request.match_info["provider"])
        if provider is None:
            raise web.HTTPNotFound()
        return provider

    async def signin_start(self, request: web.Request) -> web.Response:
        provider = self._provider(request)
        response = _redirect("/", 302)
        pending = self.sessions.start_sign_in(
            response, provider.key, safe_next(request.query.get("next", "/"))
        )
        response.headers["Location"] = provider.authorize(
            self.public_url, pending.state, pending.nonce
        )
        return response

    async def signin_callback(self, request: web.Request) -> web.Response:
        provider = self._provider(request)
        pending = self.sessions.pending_sign_in(
            request, provider.key, request.query.get("state", "")
        )
        if pending is None:
            return self._message(
                request,
                "Sign-in refused",
                "This sign-in did not start in this browser, or it took too long. "
                "Start again from the page you were on.",
                400,
            )
        if "error" in request.query or not request.query.get("code"):
            response = self._message(
                request,
                "Not signed in",
                f"You did not allow {provider.label} to tell us who you are, so you are "
                "not signed in. You can still read every page.",
                200,
            )
            self.sessions.end_sign_in(response)
            return response
        try:
            who = await provider.identify(self.public_url, request.query["code"])
        except (SignInFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("sign-in with %s failed: %s", provider.key, exc)
            response = self._message(
                request,
                "Sign-in failed",
                f"{provider.label} did not confirm who you are. Try again in a minute.",
                502,
            )
            self.sessions.end_sign_in(response)
            return response
        redirect = _redirect(pending.next_path, 302)
        self.sessions.end_sign_in(redirect)
        self.sessions.sign_in(redirect, who.platform, who.workspace, who.user_id, who.name)
        return redirect

    async def _form(self, request: web.Request) -> tuple[Visitor, Any] | web.Response:
        visitor = self.sessions.visitor(request)
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError, aiohttp.BadContentDispositionHeader):
            return self._message(request, "Not saved", "The form could not be read.", 400)
        if visitor is None:
            return self._message(
                request, "Sign in to vote", "Sign in with Discord or Slack first.", 403
            )
        if not secrets.compare_digest(str(form.get("csrf", "")), visitor.csrf):
            return self._message(
                request,
                "Form expired",
                "This form has expired or did not come from our page. Reload it and try again.",
                403,
            )
        return visitor, form

    async def signout(self, request: web.Request) -> web.Response:
        checked = await self._form(request)
        if isinstance(checked, web.Response):
            return checked
        response = _redirect(safe_next(str(checked[1].get("next", "/"))), 303)
        self.sessions.sign_out(response)
        return response

    async def vote(self, request: web.Request) -> web.Response:
        checked = await self._form(request)
        if isinstance(checked, web.Response):
            return checked
        visitor, form = checked
        tool_id = _int(form.get("tool"))
        verdict = str(form.get("verdict", ""))
        if tool_id is None or verdict not in ("ship", "skip"):
            return self._message(request, "Not saved", "A vote is ship or skip on one tool.", 400)
        result = await self.service.vote_by_id(visitor.context, tool_id, verdict)  # type: ignore[arg-type]
        if isinstance(result, VoteResult):
            # The voter's next page view shows their vote, not the tally of a second ago.
            self.reader.note_tally(tool_id, Tally(result.community.ship, result.community.skip))
        return self._after_post(
            form, result.message if not isinstance(result, ErrorView) else result.full_text
        )

    async def bookmark(self, request: web.Request) -> web.Response:
        checked = await self._form(request)
        if isinstance(checked, web.Response):
            return checked
        visitor, form = checked
        tool_id = _int(form.get("tool"))
        if tool_id is None:
            return self._message(request, "Not saved", "Which tool?", 400)
        result = await self.service.bookmark_by_id(visitor.context, tool_id)
        return self._after_post(
            form, result.message if not isinstance(result, ErrorView) else result.full_text
        )

    def _after_post(self, form: Any, message: str) -> web.Response:
        # Post/redirect/get: a reload never votes twice; the message rides a short cookie.
        response = _redirect(safe_next(str(form.get("next", "/"))), 303)
        self.sessions.flash(response, message)
        return response


def _redirect(location: str, status: int) -> web.Response:
    return web.Response(status=status, headers={"Location": location, **_PAGE_HEADERS})


_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


__all__ = ["Site", "compare_url", "route_installer"]
