"""Sign in with Discord and Slack against fake providers on loopback."""

from __future__ import annotations

from bot.web.site.session import SESSION_COOKIE, STATE_COOKIE
from tests.bot.web.conftest import PUBLIC_URL, Client, local, sign_in
from tests.bot.web.fake_oauth import FakeOAuth

PAIR = "/compare/claude-4-sonnet-vs-smolvlm2-turbo"


async def test_discord_sign_in_returns_to_the_page_signed_in(
    client: Client, oauth: FakeOAuth
) -> None:
    landed = await sign_in(client, oauth, "discord", PAIR)
    assert landed == PAIR
    html = await (await client.get(PAIR)).text()
    assert "Ada · Discord" in html
    assert "Sign in to vote" not in html
    authorize = oauth.authorize_requests[-1]
    assert authorize["scope"] == "identify"
    assert authorize["redirect_uri"] == f"{PUBLIC_URL}/signin/discord/callback"
    token = oauth.token_requests[-1]
    assert token["client_secret"] == oauth.client_secret
    assert token["redirect_uri"] == authorize["redirect_uri"]


async def test_slack_sign_in_uses_openid_connect(client: Client, oauth: FakeOAuth) -> None:
    await sign_in(client, oauth, "slack", "/tools/cursor")
    assert oauth.authorize_requests[-1]["scope"] == "openid profile"
    assert oauth.authorize_requests[-1]["nonce"]
    html = await (await client.get("/tools/cursor")).text()
    assert "Ada Slack · Slack" in html


async def test_session_cookie_is_httponly_and_samesite(client: Client, oauth: FakeOAuth) -> None:
    start = await client.get("/signin/discord", allow_redirects=False)
    state = start.cookies[STATE_COOKIE]
    assert state["httponly"] and state["samesite"] == "Lax"
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = consent.headers["Location"]
    done = await client.get(local(back), allow_redirects=False)
    session = done.cookies[SESSION_COOKIE]
    assert session["httponly"] and session["samesite"] == "Lax"
    # The public URL is plain http here; on https the cookie is Secure (see Sessions).
    assert not session["secure"]


async def test_a_wrong_state_is_refused(client: Client, oauth: FakeOAuth) -> None:
    start = await client.get("/signin/discord", allow_redirects=False)
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = local(consent.headers["Location"])
    forged = back.replace("state=", "state=x")
    response = await client.get(forged, allow_redirects=False)
    assert response.status == 400
    assert "Sign-in refused" in await response.text()
    assert SESSION_COOKIE not in response.cookies
    assert "Sign in to vote" in await (await client.get(PAIR)).text()


async def test_a_callback_from_another_browser_is_refused(client: Client, oauth: FakeOAuth) -> None:
    """Without this browser's state cookie, a valid code and state still sign nobody in."""
    start = await client.get("/signin/slack", allow_redirects=False)
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = local(consent.headers["Location"])
    client.session.cookie_jar.clear()
    response = await client.get(back, allow_redirects=False)
    assert response.status == 400
    assert oauth.token_requests == []


async def test_denied_consent_is_a_clear_page_and_no_session(
    client: Client, oauth: FakeOAuth
) -> None:
    oauth.deny = True
    start = await client.get("/signin/discord", allow_redirects=False)
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = local(consent.headers["Location"])
    assert "error=access_denied" in back
    response = await client.get(back, allow_redirects=False)
    assert response.status == 200
    assert "not signed in" in await response.text()
    assert SESSION_COOKIE not in response.cookies
    assert oauth.token_requests == []


async def test_a_refused_code_signs_nobody_in(client: Client, oauth: FakeOAuth) -> None:
    """The provider refuses our secret: a clear error, no session."""
    oauth.client_secret = "rotated"
    start = await client.get("/signin/slack", allow_redirects=False)
    async with client.session.get(start.headers["Location"], allow_redirects=False) as consent:
        back = local(consent.headers["Location"])
    response = await client.get(back, allow_redirects=False)
    assert response.status == 502
    assert SESSION_COOKIE not in response.cookies


async def test_sign_out_needs_the_form_token(client: Client, oauth: FakeOAuth) -> None:
    await sign_in(client, oauth, "discord", PAIR)
    refused = await client.post("/signout", data={"csrf": "nope", "next": PAIR})
    assert refused.status == 403
    html = await (await client.get(PAIR)).text()
    assert "Ada · Discord" in html
    import re

    token = re.search(r'action="/signout".*?name="csrf" value="([^"]+)"', html, re.S)
    assert token
    done = await client.post(
        "/signout", data={"csrf": token[1], "next": PAIR}, allow_redirects=False
    )
    assert done.status == 303
    assert "Sign in to vote" in await (await client.get(PAIR)).text()


async def test_next_never_leaves_the_site(client: Client, oauth: FakeOAuth) -> None:
    landed = await sign_in(client, oauth, "discord", "//evil.example/x")
    assert landed == "/"


def test_next_paths_stay_on_the_site() -> None:
    from bot.web.site.session import safe_next

    assert safe_next("/compare/a-vs-b?x=1") == "/compare/a-vs-b?x=1"
    for bad in ("https://evil.example", "//evil.example", "/\\evil.example", "/a\r\nSet-Cookie: x"):
        assert safe_next(bad) == "/"
