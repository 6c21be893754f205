"""Which Slack mode the settings ask for, checked once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"
# links:read and links:write let the app unfurl links to our own pages (link_shared).
BOT_SCOPES = ("commands", "chat:write", "users:read", "links:read", "links:write")


class SlackConfigError(Exception):
    """The Slack settings are incomplete; the message says what to set."""


@dataclass(frozen=True, slots=True)
class SlackConfig:
    signing_secret: str
    bot_token: str | None
    app_token: str | None
    client_id: str | None
    client_secret: str | None
    api_url: str
    public_url: str
    secret_key: str
    # SECRET_KEY_PREVIOUS: tokens stored before a key rotation still decrypt.
    previous_secret_key: str | None = None

    @property
    def oauth(self) -> bool:
        return self.client_id is not None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def _secret(value: object) -> str | None:
    raw = getattr(value, "get_secret_value", lambda: None)()
    return str(raw) if raw else None


def slack_enabled(settings: Settings) -> bool:
    slack = settings.slack
    return bool(slack.bot_token or slack.client_id or slack.app_token)


def load_slack_config(settings: Settings) -> SlackConfig:
    """The Slack settings, or SlackConfigError naming what is missing."""
    slack = settings.slack
    config = SlackConfig(
        signing_secret=_secret(slack.signing_secret) or "",
        bot_token=_secret(slack.bot_token),
        app_token=_secret(slack.app_token),
        client_id=slack.client_id or None,
        client_secret=_secret(slack.client_secret),
        api_url=(slack.api_url or DEFAULT_API_URL).rstrip("/") + "/",
        public_url=settings.app.public_url,
        secret_key=settings.app.secret_key.get_secret_value(),
        previous_secret_key=_secret(settings.app.secret_key_previous),
    )
    if config.oauth and not config.client_secret:
        raise SlackConfigError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not.")
    if not config.oauth and not config.bot_token:
        raise SlackConfigError("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth).")
    if not config.socket_mode and not config.signing_secret:
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is required to receive Slack requests over HTTP "
            "(or set SLACK_APP_TOKEN for Socket Mode)."
        )
    return config
