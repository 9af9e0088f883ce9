"""All configuration, read once from the environment (and `.env`).

Nothing else in the code base reads `os.environ`; everything receives a `Settings`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming the key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
        # An empty variable (compose passes `${X:-}` through as "") means "not set".
        env_ignore_empty=True,
    )

    database_url: str = Field(
        "sqlite:///./switchboard.db", validation_alias="SWITCHBOARD_DATABASE_URL"
    )
    policy_path: Path = Field(DEFAULT_POLICY, validation_alias="SWITCHBOARD_POLICY")
    shadow_policy_path: Path | None = Field(None, validation_alias="SWITCHBOARD_SHADOW_POLICY")
    """A second policy run beside the live one on live traffic, deciding only
    (switchboard/replay/shadow.py); unset: off."""
    demo: bool = Field(False, validation_alias="SWITCHBOARD_DEMO")
    admin_token: SecretStr | None = Field(None, validation_alias="SWITCHBOARD_ADMIN_TOKEN")
    webchat_identity_secret: SecretStr | None = Field(
        None, validation_alias="SWITCHBOARD_WEBCHAT_IDENTITY_SECRET"
    )
    webchat_allowed_origins: str = Field("", validation_alias="SWITCHBOARD_WEBCHAT_ALLOWED_ORIGINS")
    """Comma-separated origins that may embed the widget; empty means any."""
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="SWITCHBOARD_PUBLIC_URL")

    llm_model: str | None = Field(None, validation_alias="SWITCHBOARD_LLM_MODEL")
    llm_base_url: str | None = Field(None, validation_alias="SWITCHBOARD_LLM_BASE_URL")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    llm_timeout_s: float = Field(20.0, gt=0, validation_alias="SWITCHBOARD_LLM_TIMEOUT_S")
    llm_daily_token_budget: int = Field(
        200_000, ge=0, validation_alias="SWITCHBOARD_LLM_DAILY_TOKEN_BUDGET"
    )
    turn_wait_s: float | None = Field(None, gt=0, validation_alias="SWITCHBOARD_TURN_WAIT_S")
    """How long a web chat request (and `switchboard chat`) waits for its turn before
    answering 202 and letting the reply follow; unset → derived (`runtime.turn_wait_s`)."""

    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_api_url: str | None = Field(None, validation_alias="TELEGRAM_API_URL")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_support_channel: str | None = Field(None, validation_alias="SLACK_SUPPORT_CHANNEL")
    slack_api_url: str | None = Field(None, validation_alias="SLACK_API_URL")

    max_message_chars: int = Field(4000, ge=1, validation_alias="SWITCHBOARD_MAX_MESSAGE_CHARS")
    log_level: str = Field("INFO", validation_alias="SWITCHBOARD_LOG_LEVEL")
    otel_endpoint: str | None = Field(None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    cache_dir: Path | None = Field(
        Path.home() / ".cache" / "switchboard", validation_alias="SWITCHBOARD_CACHE_DIR"
    )
    """Where the trained intent model is cached between starts; empty disables it."""
    max_body_bytes: int = Field(64 * 1024, ge=1024, validation_alias="SWITCHBOARD_MAX_BODY_BYTES")
    rate_limit_per_s: float = Field(5.0, gt=0, validation_alias="SWITCHBOARD_RATE_LIMIT_PER_S")
    rate_limit_burst: int = Field(60, ge=1, validation_alias="SWITCHBOARD_RATE_LIMIT_BURST")
    """Per sender: a web chat session at the HTTP edge, a Telegram or Slack account in the
    engine (messages over the limit are stored as throttled and not answered)."""

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "sqlite+", "postgresql")):
            raise ValueError("must be sqlite:///path or postgresql+psycopg://...")
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_disables_cache(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("policy_path", "shadow_policy_path")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no policy file at {value}")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        left, _, right = (value.get_secret_value() if value else "").partition(":")
        if value is not None and not (left.isdigit() and right and " " not in right):
            raise ValueError("not a bot token (expected <bot id>:<secret> from @BotFather)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for setWebhook's secret_token.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def webchat_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.webchat_allowed_origins.split(",") if o.strip()]

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model)


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return str(alias) if alias else field


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line that names the key."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"config error: {_env_name(field)}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
