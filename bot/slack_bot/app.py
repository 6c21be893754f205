"""The bolt AsyncApp with our listeners, built once per process from the settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.card_refresher import CardRefresher
from bot.core.service import CommandService
from bot.slack_bot.actions import register_actions
from bot.slack_bot.background import Background
from bot.slack_bot.commands import register_commands
from bot.slack_bot.config import BOT_SCOPES, SlackConfig, load_slack_config
from bot.slack_bot.events import register_events
from bot.slack_bot.json_text import json_text
from bot.slack_bot.poster import SlackPoster
from bot.slack_bot.replays import Replays
from bot.slack_bot.respond import Responder
from bot.slack_bot.retries import retry_handlers
from bot.slack_bot.stores import EncryptedInstallationStore, StateStore
from bot.slack_bot.tokens import TokenCipher
from bot.slack_bot.unfurl import register_unfurls
from db.engine import Database

if TYPE_CHECKING:
    from bot.runner import Runtime

log = logging.getLogger(__name__)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"


@dataclass
class SlackFrontEnd:
    """The bolt app and what its listeners need; shared by the HTTP routes and Socket Mode."""

    config: SlackConfig
    http: aiohttp.ClientSession
    api: AsyncWebClient
    service: CommandService
    database: Database
    app: AsyncApp
    verifier: SignatureVerifier | None
    installation_store: EncryptedInstallationStore | None = None
    background: Background = field(default_factory=Background)
    poster: SlackPoster = field(init=False)
    cards: CardRefresher = field(init=False)
    replays: Replays = field(init=False)

    def __post_init__(self) -> None:
        self.poster = SlackPoster(self)
        self.cards = CardRefresher(self.database)
        self.replays = Replays(self.database)

    def responder(self, body: dict[str, Any]) -> Responder:
        """Answers to the response_url of this command or click."""
        url = body.get("response_url")
        return Responder(self.http, url if isinstance(url, str) else None)

    async def close(self) -> None:
        await self.background.drain()
        await self.http.close()

    async def bot_token_for(self, team_id: str) -> str | None:
        if self.installation_store is None:
            return self.config.bot_token
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        return None if bot is None else bot.bot_token


def build_front_end(
    config: SlackConfig, service: CommandService, database: Database, clock: Clock | None = None
) -> SlackFrontEnd:
    """Wire the bolt app: our own signature check runs in the HTTP route, before bolt."""
    client = AsyncWebClient(
        token=None if config.oauth else config.bot_token,
        base_url=config.api_url,
        retry_handlers=retry_handlers(),
    )
    # One HTTP session for our own Web API calls and response_url answers. bolt's
    # client stays session-less: bolt deep-copies it for every lazy listener.
    http = aiohttp.ClientSession(json_serialize=json_text)
    store: EncryptedInstallationStore | None = None
    oauth: AsyncOAuthSettings | None = None
    if config.oauth:
        assert config.client_id is not None
        store = EncryptedInstallationStore(
            config.client_id, database, TokenCipher(config.secret_key, config.previous_secret_key)
        )
        oauth = AsyncOAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=list(BOT_SCOPES),
            redirect_uri=config.public_url + REDIRECT_PATH,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            install_page_rendering_enabled=False,
            installation_store=store,
            state_store=StateStore(database),
        )
    app = AsyncApp(
        name="shiporskip",
        client=client,
        signing_secret=config.signing_secret or "unused-in-socket-mode",
        installation_store=store,
        oauth_settings=oauth,
        # Verified in the aiohttp route before bolt sees the request (and not at all
        # in Socket Mode, where Slack authenticates the WebSocket instead).
        request_verification_enabled=False,
        ssl_check_enabled=False,
        # Our ack functions only call ack(); with this bolt awaits them inline and
        # answers at once, instead of polling every 10 ms for the ack (which costs
        # latency and CPU under load). Slow work still runs in lazy listeners.
        process_before_response=True,
    )
    front = SlackFrontEnd(
        config=config,
        http=http,
        api=AsyncWebClient(base_url=config.api_url, session=http, retry_handlers=retry_handlers()),
        service=service,
        database=database,
        app=app,
        verifier=(
            SignatureVerifier(config.signing_secret, clock=clock or Clock())
            if config.signing_secret
            else None
        ),
        installation_store=store,
    )
    # bolt tries listeners in the order they were added, at a cost each: the buttons
    # come first, since live cards get more clicks than any one command after /compare.
    register_actions(app, front)
    register_commands(app, front)
    register_events(app, front)
    register_unfurls(app, front)
    return front


def front_end_for(runtime: Runtime, clock: Clock | None = None) -> SlackFrontEnd:
    """The process's one Slack front end, created on first use; also registers the poster.

    The poster in ``runtime.posters`` doubles as the place the front end is kept, so
    the HTTP routes and the Socket Mode part share one bolt app.
    """
    existing = runtime.posters.get("slack")
    if isinstance(existing, SlackPoster):
        return existing.front
    config = load_slack_config(runtime.settings)
    front = build_front_end(config, runtime.service, runtime.database, clock)
    runtime.posters["slack"] = front.poster
    return front
