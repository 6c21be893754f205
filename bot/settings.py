"""All configuration, read once at start-up and passed in.

One small pydantic-settings class per section, each reading its own environment
variables (and an optional ``.env``). Nothing else in the code reads the environment.
"""

from __future__ import annotations

import ipaddress
import math
import zoneinfo
from collections import Counter
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    Field,
    IPvAnyAddress,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.event_loop import EventLoopChoice, EventLoopUnavailable, loop_factory

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./shiporskip.db"
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
MIN_SECRET_KEY_LENGTH = 32
# Bits of Shannon entropy over the key's characters; a random 32-character key from
# `secrets.token_urlsafe` has ~150, "aaaa…" or "abcabc…" have almost none.
MIN_SECRET_KEY_BITS = 96
MASK = "********"


def _config(prefix: str = "") -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", populate_by_name=True
    )


class DatabaseSettings(BaseSettings):
    model_config = _config("DATABASE_")

    url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy async URL of the database.")

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class AppSettings(BaseSettings):
    model_config = _config()

    catalog_path: Path | None = Field(
        None, description="Catalog YAML (file or folder) imported at start-up; demo if unset."
    )
    public_url: str = Field(
        "http://127.0.0.1:8080", description="Public base URL of the web app (links in posts)."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET_KEY),
        description="Signs tokens and encrypts stored Slack tokens (32+ random characters).",
    )
    secret_key_previous: SecretStr | None = Field(
        None,
        description="The key before the last rotation: links and tokens it signed still work.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log threshold."
    )
    log_format: Literal["text", "json"] = Field("text", description="text or json logs.")
    event_loop: EventLoopChoice = Field(
        "auto", description="auto (uvloop when installed), uvloop or asyncio (bot.event_loop)."
    )
    trusted_proxy: IPvAnyAddress | None = Field(
        None,
        description="Reverse proxy whose X-Forwarded-For is believed (per-IP limits).",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def secret_keys(self) -> list[str]:
        """[current, previous]: sign with the first, accept either.

        itsdangerous takes its ``secret_key`` list oldest first and signs with the last,
        so its readers pass ``list(reversed(settings.app.secret_keys))``.
        """
        keys = [self.secret_key.get_secret_value()]
        if self.secret_key_previous and self.secret_key_previous.get_secret_value():
            keys.append(self.secret_key_previous.get_secret_value())
        return keys

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("event_loop", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("event_loop")
    @classmethod
    def _installed(cls, value: EventLoopChoice) -> EventLoopChoice:
        # Refused with the other settings, before any command starts a loop.
        try:
            loop_factory(value)
        except EventLoopUnavailable as exc:
            raise ValueError(str(exc)) from None
        return value


class DiscordSettings(BaseSettings):
    model_config = _config("DISCORD_")

    token: SecretStr | None = Field(None, description="Bot token; enables Discord.")
    api_url: str | None = Field(None, description="REST base override (tests, proxies).")
    gateway_url: str | None = Field(None, description="Gateway URL override.")
    shard_count: int | None = Field(None, ge=1, description="Total shards across processes.")
    shard_ids: str | None = Field(None, description="Comma-separated shard ids this process runs.")
    guild_id: int | None = Field(None, description="Sync commands to this guild only.")
    client_id: str | None = Field(None, description="OAuth2 client id for Sign in with Discord.")
    client_secret: SecretStr | None = Field(None, description="OAuth2 secret for sign-in.")
    oauth_authorize_url: str | None = Field(None, description="Sign-in authorize URL override.")
    oauth_api_url: str | None = Field(None, description="Sign-in token/user API override.")


class SlackSettings(BaseSettings):
    model_config = _config("SLACK_")

    bot_token: SecretStr | None = Field(None, description="Bot token (single workspace).")
    signing_secret: SecretStr | None = Field(None, description="Verifies HTTP requests.")
    app_token: SecretStr | None = Field(None, description="App-level token; enables Socket Mode.")
    api_url: str | None = Field(None, description="Web API base override (tests, proxies).")
    client_id: str | None = Field(None, description="OAuth client id (many workspaces).")
    client_secret: SecretStr | None = Field(None, description="OAuth client secret.")
    signin_client_id: str | None = Field(None, description="Client id for Sign in with Slack.")
    signin_client_secret: SecretStr | None = Field(None, description="Its client secret.")
    signin_authorize_url: str | None = Field(None, description="Sign-in authorize URL override.")


class HttpSettings(BaseSettings):
    model_config = _config("HTTP_")

    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(8080, ge=0, le=65535, description="Port of the web app.")
    reuse_port: bool = Field(
        False, description="Bind with SO_REUSEPORT: several processes share one port."
    )


class MetricsSettings(BaseSettings):
    model_config = _config("METRICS_")

    port: int | None = Field(
        None, ge=0, le=65535, description="Serve /metrics on its own port (on METRICS_HOST)."
    )
    host: str = Field("127.0.0.1", description="Address of the separate metrics listener.")
    token: SecretStr | None = Field(
        None, description="Bearer token for /metrics on the main app (else loopback only)."
    )


class MailSettings(BaseSettings):
    model_config = _config()

    smtp_url: str | None = Field(None, description="smtp:// or smtps:// URL; outbox if unset.")
    mail_from: str = Field(
        "Ship or Skip <digest@shiporskip.local>", description="From header of every email."
    )
    outbox_dir: Path = Field(Path("outbox"), description="Where .eml files go without SMTP.")
    smtp_rate: float = Field(50.0, gt=0, description="Emails per second at most.")
    smtp_pool: int = Field(
        4, ge=1, le=64, description="SMTP connections kept open (= emails in flight at most)."
    )
    mail_reply_to: str | None = Field(
        None, description="Reply-To of every email; MAIL_FROM if unset."
    )
    bounce_address: str | None = Field(
        None, description="Envelope sender; bounces+<token>@ of it per subscriber (VERP)."
    )
    dkim_selector: str | None = Field(None, description="DKIM selector; signing needs all three.")
    dkim_domain: str | None = Field(None, description="DKIM signing domain (d=).")
    dkim_private_key_file: Path | None = Field(None, description="PEM RSA key that signs mail.")
    bounce_smtp_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of the inbound bounce SMTP/LMTP receiver; off if unset.",
    )
    bounce_smtp_host: str = Field(
        "127.0.0.1", description="Address the bounce receiver listens on."
    )
    bounce_lmtp: bool = Field(False, description="Speak LMTP instead of SMTP on the bounce port.")
    ses_topic_arn: str | None = Field(
        None,
        description="SNS topic ARNs (comma-separated) whose SES reports /inbound/ses takes.",
    )
    mail_postal_address: str = Field(
        "",
        description="Postal address in every digest's footer (CAN-SPAM); required with SMTP_URL.",
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value or None

    @model_validator(mode="after")
    def _dkim_complete(self) -> MailSettings:
        # Checked at start-up: a broken key must stop the process, not every send.
        given = [self.dkim_selector, self.dkim_domain, self.dkim_private_key_file]
        if any(given) and not all(given):
            raise ValueError("DKIM needs DKIM_SELECTOR, DKIM_DOMAIN and DKIM_PRIVATE_KEY_FILE")
        if self.dkim_private_key_file is not None:
            from digest.signing import load_private_key

            load_private_key(self.dkim_private_key_file)
        if self.bounce_address is not None:
            local, at, domain = self.bounce_address.rpartition("@")
            if not at or not local or not domain or "+" in local or "<" in self.bounce_address:
                raise ValueError("BOUNCE_ADDRESS must be a bare address like bounces@example.com")
        return self


class DigestSettings(BaseSettings):
    model_config = _config("DIGEST_")

    cron: str = Field("0 9 * * mon", description="When the weekly digest goes out (crontab).")
    timezone: str = Field("UTC", description="Time zone of the cron and of the ISO week.")
    # A post takes seconds; a claim this old belongs to a run that died, and another run
    # re-posts it (on Discord with the same nonce, so it still lands once).
    channel_post_lease_s: float = Field(
        300.0,
        gt=0,
        description="Seconds before a channel post claimed by a dead run is taken over.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("must have five crontab fields, e.g. '0 9 * * mon'")
        return value


class Settings(BaseModel):
    """The whole configuration: one section per concern."""

    database: DatabaseSettings
    app: AppSettings
    discord: DiscordSettings
    slack: SlackSettings
    http: HttpSettings
    # Defaults only (no environment) for Settings built by hand, as tests do.
    metrics: MetricsSettings = Field(default_factory=lambda: MetricsSettings.model_construct())
    mail: MailSettings
    digest: DigestSettings


_SECTIONS: dict[str, tuple[type[BaseSettings], str]] = {
    "database": (DatabaseSettings, "DATABASE_"),
    "app": (AppSettings, ""),
    "discord": (DiscordSettings, "DISCORD_"),
    "slack": (SlackSettings, "SLACK_"),
    "http": (HttpSettings, "HTTP_"),
    "metrics": (MetricsSettings, "METRICS_"),
    "mail": (MailSettings, ""),
    "digest": (DigestSettings, "DIGEST_"),
}


class SettingsError(Exception):
    """Raised with one readable line per invalid value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read every section; collect all problems before failing."""
    values: dict[str, BaseSettings] = {}
    problems: list[str] = []
    for name, (cls, prefix) in _SECTIONS.items():
        try:
            values[name] = cls(_env_file=env_file)  # type: ignore[call-arg]
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else name
                variable = (prefix + field).upper()
                problems.append(f"{variable}: {error['msg']}")
    if problems:
        raise SettingsError(problems)
    return Settings(**values)  # type: ignore[arg-type]


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(variable, effective value with secrets masked, meaning) for every setting."""
    rows: list[tuple[str, str, str]] = []
    for name, (cls, prefix) in _SECTIONS.items():
        section = getattr(settings, name)
        for field, info in cls.model_fields.items():
            value = getattr(section, field)
            if isinstance(value, SecretStr):
                shown = MASK if value.get_secret_value() else ""
            elif value is None:
                shown = "(unset)"
            else:
                shown = mask_url_password(str(value))
            rows.append(((prefix + field).upper(), shown, info.description or ""))
    return rows


def mask_url_password(value: str) -> str:
    """``value`` with the password of a URL (scheme://user:password@host) masked."""
    if "://" not in value or "@" not in value:
        return value
    parts = urlsplit(value)
    if parts.password is None:
        return value
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostinfo}"))


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _entropy_bits(key: str) -> float:
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def exposure(settings: Settings) -> list[str]:
    """What lets people other than the operator reach what SECRET_KEY protects."""
    reasons = [] if _is_loopback(settings.app.public_url) else ["PUBLIC_URL is not loopback"]
    configured = {
        "DISCORD_TOKEN": settings.discord.token,
        "SLACK_BOT_TOKEN": settings.slack.bot_token,
        "SLACK_APP_TOKEN": settings.slack.app_token,
        "SLACK_CLIENT_ID": settings.slack.client_id,
        "SMTP_URL": settings.mail.smtp_url,
    }
    return reasons + [f"{name} is set" for name, value in configured.items() if value]


def mail_problem(settings: Settings) -> str | None:
    """One line if real email would go out without what the law asks of it, else None."""
    mail = settings.mail
    if mail.smtp_url and not mail.mail_postal_address.strip():
        return (
            "MAIL_POSTAL_ADDRESS is required when SMTP_URL is set: every digest shows "
            "the sender's postal address (CAN-SPAM)"
        )
    return None


def secret_key_problem(settings: Settings) -> str | None:
    """One line if SECRET_KEY is too weak for what the settings expose, else None."""
    reasons = exposure(settings)
    if not reasons:
        return None
    key = settings.app.secret_key.get_secret_value()
    if key == DEFAULT_SECRET_KEY:
        weakness = "is the public default"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        weakness = f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    elif _entropy_bits(key) < MIN_SECRET_KEY_BITS or key in (key + key)[1:-1]:
        weakness = "is too predictable (repeated characters)"
    else:
        return None
    return (
        f"SECRET_KEY {weakness} and {', '.join(reasons)}; set a random one, "
        'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )
