"""Outbound webhooks' storage: events queued beside the change they report, and the
delivery state the sender keeps.

The configured webhooks reach `queue_event` through the session: the runtime builds its
session factory with `webhook_info(...)`, so every session it makes carries them, and the
repositories that change what a helpdesk follows (a ticket created, a handoff resolved)
queue the event in the same transaction as the change: a crash loses neither or both. A
session without them (the CLI, no `webhooks:` configured) queues nothing.

Delivery rows are claimed with a conditional update (pending → sending) so one sender
owns each; a claim a dead sender left is put back to pending.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, get_args

from sqlalchemy import event as sa_event
from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation, Customer, WebhookDelivery, utcnow

WebhookEvent = Literal[
    "ticket.created",
    "handoff.requested",
    "handoff.resolved",
    "approval.decided",
    "conversation.resolved",
    "csat.received",
]
EVENTS: tuple[str, ...] = get_args(WebhookEvent)
DeliveryStatus = Literal["pending", "sending", "sent", "failed"]
PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"

_SUBSCRIPTIONS = "switchboard_webhooks"
_QUEUED = "switchboard_webhooks_queued"


@dataclass(frozen=True)
class Subscription:
    """One configured webhook as storage needs it: where, and which events."""

    url: str
    events: frozenset[str]


@dataclass(frozen=True)
class Subscriptions:
    webhooks: tuple[Subscription, ...]
    queued: Callable[[], None] | None = None
    """Called after a commit that queued events (wakes the sender)."""


def webhook_info(subscriptions: Subscriptions) -> dict[str, Any]:
    """The `info` of a session factory whose sessions queue events for these webhooks."""
    return {_SUBSCRIPTIONS: subscriptions}


def subscribed(session: AsyncSession, event: WebhookEvent) -> bool:
    """Does a webhook want `event` (so its payload is worth looking up)?"""
    subscriptions: Subscriptions | None = session.info.get(_SUBSCRIPTIONS)
    return subscriptions is not None and any(event in w.events for w in subscriptions.webhooks)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def queue_event(
    session: AsyncSession,
    event: WebhookEvent,
    key: str,
    *,
    conversation_id: int | None,
    **fields: Any,
) -> str | None:
    """Queue `event` for every webhook subscribed to it, in the caller's transaction; its
    event id, or None when no webhook wants it. `key` names the change (`ticket:12`): the
    same key queued again (a re-run turn) adds nothing. `fields` are the event's own part
    of the payload (`ticket={...}`); the conversation, channel and customer are added."""
    subscriptions: Subscriptions | None = session.info.get(_SUBSCRIPTIONS)
    targets = [
        (index, webhook)
        for index, webhook in enumerate(subscriptions.webhooks if subscriptions else ())
        if event in webhook.events
    ]
    if not targets:
        return None
    event_id = str(uuid.uuid4())
    payload: dict[str, Any] = {
        "id": event_id,
        "event": event,
        "created_at": _now_iso(),
        **await _conversation_fields(session, conversation_id),
        **fields,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [
        {
            "event_id": event_id,
            "event": event,
            "webhook": index,
            "url": webhook.url,
            "dedupe_key": f"{event}:{key}"[:191],
            "conversation_id": conversation_id,
            "payload": payload,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for index, webhook in targets
    ]
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    await session.exec(insert(table).values(rows).on_conflict_do_nothing())
    session.info[_QUEUED] = True
    return event_id


async def _conversation_fields(
    session: AsyncSession, conversation_id: int | None
) -> dict[str, Any]:
    """Where the event happened and for whom: the customer's id and name only."""
    conversation = await session.get(Conversation, conversation_id) if conversation_id else None
    if conversation is None:
        return {"conversation_id": conversation_id, "channel": None, "customer": None}
    customer = (
        await session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    )
    return {
        "conversation_id": conversation_id,
        "channel": conversation.channel,
        "customer": {"user_id": customer.user_id, "name": customer.name} if customer else None,
    }


@sa_event.listens_for(Session, "after_commit")
def _wake_sender(session: Session) -> None:
    # Also called when a savepoint is released (a tool's part of a turn): the events
    # are not committed until the whole transaction is.
    if session.in_nested_transaction():
        return
    if session.info.pop(_QUEUED, False):
        subscriptions: Subscriptions | None = session.info.get(_SUBSCRIPTIONS)
        if subscriptions is not None and subscriptions.queued is not None:
            subscriptions.queued()


@sa_event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint rolled back: earlier events still count
        return
    session.info.pop(_QUEUED, None)


# --- the sender's side ----------------------------------------------------------------


async def due_deliveries(session: AsyncSession, limit: int = 50) -> list[WebhookDelivery]:
    """Pending rows whose time has come, oldest first."""
    result = await session.exec(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == PENDING,
            col(WebhookDelivery.next_attempt_at) <= utcnow(),
        )
        .order_by(col(WebhookDelivery.id))
        .limit(limit)
    )
    return list(result.all())


async def next_attempt_at(session: AsyncSession) -> datetime | None:
    """When the earliest pending row is due (None: nothing pending)."""
    result = await session.exec(
        select(func.min(WebhookDelivery.next_attempt_at)).where(WebhookDelivery.status == PENDING)
    )
    due = result.one()
    if due is not None and due.tzinfo is None:  # SQLite keeps no zone; we store UTC
        due = due.replace(tzinfo=UTC)
    return due


async def claim_delivery(session: AsyncSession, delivery_id: int) -> bool:
    """True when this caller moved the row from pending to sending (and so must post it)."""
    result = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == PENDING)
        .values(status=SENDING, claimed_at=utcnow())
    )
    return bool(result.rowcount)


async def finish_delivery(
    session: AsyncSession,
    delivery_id: int,
    *,
    status: Literal["sent", "pending", "failed"],
    error: str | None = None,
    retry_in: timedelta | None = None,
) -> None:
    """One attempt done: `sent`, `failed` (given up), or `pending` again after `retry_in`."""
    values: dict[str, Any] = {
        "status": status,
        "attempts": col(WebhookDelivery.attempts) + 1,
        "claimed_at": None,
        "last_error": error[:500] if error else None,
    }
    if status == SENT:
        values["sent_at"] = utcnow()
    if retry_in is not None:
        values["next_attempt_at"] = utcnow() + retry_in
    await session.exec(
        update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id).values(**values)
    )


#: A claim older than this was made by a sender that died: a post gives up far sooner.
STALE_CLAIM = timedelta(minutes=2)


async def requeue_stale_claims(session: AsyncSession, older_than: timedelta = STALE_CLAIM) -> int:
    """Rows a crashed sender was posting go back to pending (posted again: at least once,
    which is why receivers de-duplicate on the event id)."""
    stale = or_(
        col(WebhookDelivery.claimed_at).is_(None),
        col(WebhookDelivery.claimed_at) < utcnow() - older_than,
    )
    result = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.status) == SENDING, stale)
        .values(status=PENDING, claimed_at=None)
    )
    return int(result.rowcount or 0)


async def deliveries_for_event(session: AsyncSession, event_id: str) -> list[WebhookDelivery]:
    result = await session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.event_id == event_id)
        .order_by(col(WebhookDelivery.id))
    )
    return list(result.all())
