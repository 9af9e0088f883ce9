"""The policy's `webhooks:` list: where a helpdesk or CRM is told what happened here.

Each entry is a URL, the secret its requests are signed with (`${VAR}` reads it from the
environment) and the events it wants; switchboard/engine/event_webhooks.py delivers them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from storage.webhooks import WebhookEvent


class WebhookPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    """Where the events are POSTed as JSON (http:// or https://)."""
    secret: SecretStr = Field(min_length=1)
    """Signs every request (`X-Switchboard-Signature`); write `${VAR}` to read it from the
    environment rather than keep it in the file."""
    events: list[WebhookEvent] = Field(min_length=1)
    timeout_s: float = Field(10.0, gt=0, le=60)
    """How long one request may take before it counts as failed (and is retried)."""
    max_attempts: int = Field(12, ge=1, le=50)
    """Attempts before an event is given up (`failed`); retries back off exponentially
    from `first_retry_s`, doubling up to an hour: the default covers about 3.5 hours."""
    first_retry_s: float = Field(10.0, gt=0, le=3600)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")) or len(url) > 2048:
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator("events")
    @classmethod
    def _once_each(cls, events: list[WebhookEvent]) -> list[WebhookEvent]:
        return list(dict.fromkeys(events))
