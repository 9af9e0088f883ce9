"""The Slack Web API client: rate limits (429 + Retry-After) and dropped connections are
retried by slack-sdk's own handlers; what still fails is classified for the caller."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

SLACK_API = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2

# Errors that will not go away by trying again: the message can never be posted there.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
        "restricted_action",
    }
)


def make_client(token: str, api_url: str | None = None, timeout: int = 15) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=(api_url.rstrip("/") + "/") if api_url else SLACK_API,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def slack_error(exc: Exception) -> str:
    """Slack's error code (`channel_not_found`), or the exception's name."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"http_{exc.response.status_code}")
    return type(exc).__name__


def is_permanent(exc: Exception) -> bool:
    return isinstance(exc, SlackApiError) and slack_error(exc) in PERMANENT_ERRORS


def retry_after(exc: Exception) -> float | None:
    """Seconds Slack asked us to wait (after the client's own retries gave up)."""
    if isinstance(exc, SlackApiError) and exc.response.status_code == 429:
        value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        try:
            return float(value) if value is not None else 1.0
        except ValueError:
            return 1.0
    return None


TRANSIENT = (SlackApiError, aiohttp.ClientError, TimeoutError)
