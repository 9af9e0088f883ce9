"""Outbound webhooks: the events storage queued (storage/webhooks.py), POSTed signed to the
policy's `webhooks:`, retried with backoff, given up after the last attempt.

Runs beside the engine, never inside a customer's turn: a slow or dead receiver delays
only its own events. Rows are claimed before posting, so replicas never post one twice
at once; a claim a crashed replica left is requeued, and whatever was pending at start
is posted then. Delivery is at least once: receivers de-duplicate on the event id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.webhooks import WebhookPolicy
from storage import webhooks
from storage.db import transaction
from storage.models import WebhookDelivery
from storage.webhooks import Subscription, Subscriptions
from switchboard import metrics
from switchboard.workers import OutboxWorker

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 3600.0
STALE_CHECK_S = 30.0
"""How often stale claims are requeued and other replicas' rows looked for."""
PARALLEL_POSTS = 4
USER_AGENT = "Switchboard-Webhooks/1"
RETRIED_STATUSES = frozenset({408, 425, 429})
"""Besides 5xx: the receiver is busy or slow, so the same request may succeed later."""


def subscriptions(configured: Sequence[WebhookPolicy], wake: asyncio.Event) -> Subscriptions:
    """What storage needs to queue events for the configured webhooks."""
    return Subscriptions(
        tuple(Subscription(w.url, frozenset(w.events)) for w in configured), queued=wake.set
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `{timestamp}.{body}` (the Stripe and GitHub shape)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def backoff(attempt: int, first_s: float) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling from `first_s`."""
    return min(first_s * 2.0 ** (attempt - 1), MAX_BACKOFF_S)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


class _Failed(Exception):
    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


class WebhookSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        configured: Sequence[WebhookPolicy],
        wake: asyncio.Event,
    ) -> None:
        self._sessions = sessions
        self._configured = list(configured)
        self._client: httpx.AsyncClient | None = None
        self._worker = OutboxWorker(
            sessions,
            wake,
            drain=self._pass,
            retry_in=lambda: 5.0,
            requeue=webhooks.requeue_stale_claims,
            stale_check_s=STALE_CHECK_S,
            log=log,
            kind="webhook",
            rows="deliveries",
        )

    async def start(self) -> None:
        # No redirects: a signed event goes where it was configured to, nowhere else.
        self._client = httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": USER_AGENT})
        await self._worker.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the posts in flight (else they are posted again on the next start)."""
        await self._worker.stop(timeout)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _pass(self) -> float:
        """Post what is due; then wait until the next retry is due."""
        await self._drain()
        return await self._until_due()

    async def _until_due(self) -> float:
        async with self._sessions() as session:
            due = await webhooks.next_attempt_at(session)
        if due is None:
            return STALE_CHECK_S
        seconds = (due - datetime.now(UTC)).total_seconds()
        return min(max(seconds, 0.05), STALE_CHECK_S)

    async def _drain(self) -> None:
        """Post every due row; each failure is scheduled on its own row, so one dead
        receiver does not hold up the others."""
        limit = asyncio.Semaphore(PARALLEL_POSTS)

        async def deliver(row: WebhookDelivery) -> None:
            async with limit:
                if not self._worker.stopping:
                    await self._deliver(row)

        while not self._worker.stopping:
            async with self._sessions() as session:
                batch = await webhooks.due_deliveries(session)
            if not batch:
                return
            await asyncio.gather(*(deliver(row) for row in batch))

    def _webhook_for(self, row: WebhookDelivery) -> WebhookPolicy | None:
        """The configured webhook the row was queued for: at its position if the URL is
        still there, else the first with that URL (the list was edited since)."""
        if row.webhook < len(self._configured) and self._configured[row.webhook].url == row.url:
            return self._configured[row.webhook]
        return next((w for w in self._configured if w.url == row.url), None)

    async def _deliver(self, row: WebhookDelivery) -> None:
        assert row.id is not None
        async with transaction(self._sessions) as session:
            if not await webhooks.claim_delivery(session, row.id):
                return  # another replica has it
        webhook = self._webhook_for(row)
        attempt = row.attempts + 1
        try:
            if webhook is None:
                raise _Failed("the webhook is no longer configured", retry=False)
            await self._post(webhook, row, attempt)
        except _Failed as exc:
            await self._failed(row, webhook, attempt, exc)
            return
        except Exception as exc:  # a bug must not leave the row claimed until requeued
            log.exception("webhook.post_broken", delivery_id=row.id, webhook_event=row.event)
            await self._failed(row, webhook, attempt, _Failed(repr(exc), retry=False))
            return
        async with transaction(self._sessions) as session:
            await webhooks.finish_delivery(session, row.id, status=webhooks.SENT)
        metrics.WEBHOOKS_SENT.labels(row.event).inc()
        log.info("webhook.sent", delivery_id=row.id, webhook_event=row.event, event_id=row.event_id)

    async def _post(self, webhook: WebhookPolicy, row: WebhookDelivery, attempt: int) -> None:
        assert self._client is not None
        body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Switchboard-Event": row.event,
            "X-Switchboard-Event-Id": row.event_id,
            "X-Switchboard-Timestamp": timestamp,
            "X-Switchboard-Signature": signature(
                webhook.secret.get_secret_value(), timestamp, body
            ),
            "X-Switchboard-Attempt": str(attempt),
        }
        try:
            response = await self._client.post(
                webhook.url, content=body, headers=headers, timeout=webhook.timeout_s
            )
        except httpx.TimeoutException:
            raise _Failed(f"no answer within {webhook.timeout_s:g} s", retry=True) from None
        except httpx.HTTPError as exc:
            raise _Failed(f"{type(exc).__name__}: {exc}", retry=True) from None
        if response.is_success:
            return
        status = response.status_code
        raise _Failed(
            f"HTTP {status}",
            retry=status >= 500 or status in RETRIED_STATUSES,
            retry_after=_retry_after(response),
        )

    async def _failed(
        self, row: WebhookDelivery, webhook: WebhookPolicy | None, attempt: int, exc: _Failed
    ) -> None:
        """Schedule the next attempt, or give the event up (a refusal, or the last try)."""
        assert row.id is not None
        error = str(exc)
        if exc.retry and webhook is not None and attempt < webhook.max_attempts:
            wait = backoff(attempt, webhook.first_retry_s)
            if exc.retry_after is not None:
                wait = min(max(wait, exc.retry_after), MAX_BACKOFF_S)
            async with transaction(self._sessions) as session:
                await webhooks.finish_delivery(
                    session,
                    row.id,
                    status=webhooks.PENDING,
                    error=error,
                    retry_in=timedelta(seconds=wait),
                )
            metrics.WEBHOOK_RETRIES.labels(row.event).inc()
            log.warning(
                "webhook.retry",
                delivery_id=row.id,
                webhook_event=row.event,
                attempt=attempt,
                retry_in_s=round(wait, 2),
                error=error[:200],
            )
            return
        async with transaction(self._sessions) as session:
            await webhooks.finish_delivery(session, row.id, status=webhooks.FAILED, error=error)
        metrics.WEBHOOK_FAILURES.labels(row.event).inc()
        log.error(
            "webhook.failed",
            delivery_id=row.id,
            webhook_event=row.event,
            event_id=row.event_id,
            webhook=row.webhook,
            host=httpx.URL(row.url).host,
            attempts=attempt,
            error=error[:200],
        )
