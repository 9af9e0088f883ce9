"""Tables. One class per table; the transcript lives in `messages`, not in graph state."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: default.copy(), sa_column=Column(JSON, nullable=False))


class Mode(StrEnum):
    bot = "bot"
    human = "human"
    closed = "closed"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class Role(StrEnum):
    customer = "customer"
    bot = "bot"
    staff = "staff"


class InboundStatus(StrEnum):
    received = "received"
    processed = "processed"
    failed = "failed"
    throttled = "throttled"
    """Sent faster than the rate limit allows: stored (staff see it), never run."""


class OutboundStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(unique=True, index=True, max_length=128)
    email: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    vip: bool = False
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
    )
    """The customer's id in each of the company's systems (`{"stripe": "cus_…"}`): what a
    connector sends when it acts for them (storage/customers.py reads and writes it)."""
    created_at: datetime = _ts()


class Identity(SQLModel, table=True):
    """A channel account (Telegram user, Slack user) linked to a verified customer."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    channel_user_id: str = Field(max_length=128)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    created_at: datetime = _ts()


class WebchatSession(SQLModel, table=True):
    __tablename__ = "webchat_sessions"
    id: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(unique=True, max_length=64)
    customer_id: int | None = Field(default=None, foreign_key="customers.id")
    name: str | None = Field(default=None, max_length=255)
    created_at: datetime = _ts()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_chat", "channel", "channel_chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    channel_chat_id: str = Field(max_length=128)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    # Enums are stored as plain strings: portable, and new values need no type migration.
    mode: Mode = Field(default=Mode.bot, sa_type=String(16))
    assignee: str | None = Field(default=None, max_length=128)
    last_intent: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    """The language the customer writes in (graph/language.py); None before the first
    turn. Replies, hints and buttons are worded in it."""
    delivery_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Message(SQLModel, table=True):
    """Inbox and outbox in one table: inbound rows are turns, outbound rows are replies."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_message_id", name="uq_messages_channel_message"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index("ix_messages_status", "direction", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id")
    direction: Direction = Field(sa_type=String(16))
    role: Role = Field(sa_type=String(16))
    channel: str = Field(max_length=32)
    channel_message_id: str | None = Field(default=None, max_length=191)
    text: str
    quick_replies: list[str] = _json([])
    attachments: list[str] = _json([])
    """What came besides text, as `kind:platform id` (photo, sticker, voice, document)."""
    sent_parts: list[list[str]] = _json([])
    """An outbound reply sent in parts: the platform message ids of each part sent so far,
    so a later attempt (another process, a staff retry) sends only the rest."""
    status: str = Field(max_length=16)
    reply_to_id: int | None = Field(default=None, foreign_key="messages.id")
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=8)
    """An inbound message: the conversation's language its turn decided."""
    locale: str | None = Field(default=None, max_length=16)
    """An inbound message: the sender's locale as the channel reported it (`es-ES`), the
    hint for a first message too short to tell."""
    author: str | None = Field(default=None, max_length=255)
    """Who wrote a staff message (a staff account's name, `slack:<user id>`, or the
    admin API's caller); None for the customer's and the bot's."""
    created_at: datetime = _ts()
    done_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    category: str = Field(max_length=32)
    priority: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16)
    summary: str
    amount_cents: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    # Tools run again when a crashed turn is resumed; this key makes creation idempotent.
    idempotency_key: str | None = Field(default=None, unique=True, max_length=191)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class StaffNotification(SQLModel, table=True):
    __tablename__ = "staff_notifications"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    approval_id: int | None = Field(default=None, foreign_key="approvals.id")
    text: str
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    idempotency_key: str | None = Field(default=None, unique=True, max_length=191)
    created_at: datetime = _ts()
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """When a desk took it to post (status `sending`); a stale claim is requeued."""


class Handoff(SQLModel, table=True):
    __tablename__ = "handoffs"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    reason: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16)
    assignee: str | None = Field(default=None, max_length=128)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    idempotency_key: str | None = Field(default=None, unique=True, max_length=191)
    created_at: datetime = _ts()
    resolved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Trace(SQLModel, table=True):
    """One row per processed turn: what the graph did and how long each node took."""

    __tablename__ = "traces"
    # The daily token budget sums today's traces before every LLM turn.
    __table_args__ = (Index("ix_traces_created_at", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    message_id: int = Field(foreign_key="messages.id", unique=True)
    intent: str | None = Field(default=None, max_length=64)
    confidence: float | None = None
    route: str | None = Field(default=None, max_length=64)
    node_path: list[str] = _json([])
    tools: list[str] = _json([])
    node_ms: dict[str, float] = _json({})
    entities: dict[str, Any] = _json({})
    total_ms: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    llm: list[dict[str, Any]] = _json([])
    """One entry per LLM call: purpose, model, tokens, latency, cost, error."""
    tool_calls: list[dict[str, Any]] = _json([])
    """One entry per tool call: tool, arguments, a short result or error, time (masked)."""
    policy_version: str | None = Field(default=None, max_length=16)
    """The content hash of the policy that decided the turn (graph/policy.py `version`)."""
    steps: list[str] = _json([])
    """Written workflows' steps taken, in order: `billing_issue:steps[2].then[0]`."""
    language: str | None = Field(default=None, max_length=8)
    """The language the turn answered in."""
    created_at: datetime = _ts()


# --- the demo company's own systems (served by the built-in `demo` providers) ---


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    status: str = Field(max_length=32)
    total_cents: int
    currency: str = Field(default="EUR", max_length=3)
    items: str
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    placed_at: datetime = _ts()
    eta: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Charge(SQLModel, table=True):
    __tablename__ = "charges"
    id: int | None = Field(default=None, primary_key=True)
    charge_id: str = Field(unique=True, max_length=64)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    amount_cents: int
    currency: str = Field(default="EUR", max_length=3)
    status: str = Field(max_length=16)  # failed | succeeded | refunded
    failure_reason: str | None = Field(default=None, max_length=128)
    created_at: datetime = _ts()


class KbArticle(SQLModel, table=True):
    """A help-centre page. Imported pages carry their `source` path and a content hash, so
    a re-import changes only what changed; rows without a source are hand-made (demo)."""

    __tablename__ = "kb_articles"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=128)
    title: str = Field(max_length=255)
    body: str
    url: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, unique=True, max_length=500)
    content_hash: str | None = Field(default=None, max_length=64)
    retired: bool = False
    imported_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    language: str | None = Field(default=None, max_length=8)
    """ISO 639-1 code it is written in; None (hand-made, older imports): the default."""
    created_at: datetime = _ts()


class KbPassage(SQLModel, table=True):
    """One searchable piece of an article: a heading's section, capped in size.
    `heading` is the path from the title down ("Refunds > Card payments")."""

    __tablename__ = "kb_passages"
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    position: int
    heading: str = Field(max_length=1000)
    text: str
    embedding: bytes | None = Field(default=None, sa_type=LargeBinary)
    embedding_model: str | None = Field(default=None, max_length=64)


class MessageTranslation(SQLModel, table=True):
    """A customer's message translated for staff into one language, made once. `text`
    None: the translation failed (staff see the original only)."""

    __tablename__ = "message_translations"
    __table_args__ = (UniqueConstraint("message_id", "language", name="uq_message_translations"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", ondelete="CASCADE")
    language: str = Field(max_length=8)
    text: str | None = None
    created_at: datetime = _ts()


class Approval(SQLModel, table=True):
    """A sensitive tool call waiting for a person's decision; decided exactly once."""

    __tablename__ = "approvals"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    message_id: int = Field(foreign_key="messages.id")
    tool: str = Field(max_length=64)
    arguments: dict[str, Any] = _json({})
    summary: str
    status: str = Field(default="pending", max_length=16)  # pending | approved | denied
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    idempotency_key: str | None = Field(default=None, unique=True, max_length=191)
    created_at: datetime = _ts()


class StaffThread(SQLModel, table=True):
    """Where a conversation's staff discussion lives on the staff platform (Slack thread)."""

    __tablename__ = "staff_threads"
    __table_args__ = (UniqueConstraint("platform", "thread_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", unique=True)
    platform: str = Field(max_length=32)
    channel_ref: str = Field(max_length=64)
    thread_ref: str = Field(max_length=64)
    created_at: datetime = _ts()


class LinkCode(SQLModel, table=True):
    """A one-time code a customer sends in a chat app (`/link <code>`) to prove who they
    are; only its SHA-256 is stored, like a password."""

    __tablename__ = "link_codes"
    code_hash: str = Field(primary_key=True, max_length=64)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_channel: str | None = Field(default=None, max_length=32)
    used_channel_user_id: str | None = Field(default=None, max_length=128)
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _ts()


class ChannelCursor(SQLModel, table=True):
    """How far a channel has read a platform's update stream (Telegram long polling)."""

    __tablename__ = "channel_cursors"
    name: str = Field(primary_key=True, max_length=64)
    position: int = Field(sa_type=BigInteger)
    updated_at: datetime = _ts()


class CsatResponse(SQLModel, table=True):
    """A customer's satisfaction rating of one conversation (1-5, optional comment):
    asked once per conversation, so one row at most."""

    __tablename__ = "csat_responses"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_score"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", unique=True)
    score: int
    comment: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _ts()


class IntentCorrection(SQLModel, table=True):
    """A person's label for one turn's intent (admin API, Slack handoff card): training data
    for `switchboard intents retrain`. One row per turn; relabelling updates it. `text` is
    the customer's message as stored (already PII-masked), copied so the examples outlive
    edits elsewhere; erasure and pruning delete the row with the turn."""

    __tablename__ = "intent_corrections"
    id: int | None = Field(default=None, primary_key=True)
    trace_id: int = Field(foreign_key="traces.id", unique=True)
    text: str
    intent: str = Field(max_length=64)
    labelled_by: str = Field(max_length=128)
    source: str = Field(max_length=16)  # admin | slack
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class StaffRole(StrEnum):
    agent = "agent"
    """Takes handoffs, replies, writes notes, resolves."""
    approver = "approver"
    """An agent who also decides approvals."""
    admin = "admin"
    """An approver who also manages staff and sees exports."""


class StaffAccount(SQLModel, table=True):
    """A person who signs in to the console. Only an argon2 hash of the password is kept."""

    __tablename__ = "staff_accounts"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=255)
    name: str = Field(max_length=255)
    role: StaffRole = Field(sa_type=String(16))
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = _ts()


class StaffSession(SQLModel, table=True):
    """A signed-in console session: the cookie holds the token, this row its SHA-256."""

    __tablename__ = "staff_sessions"
    token_hash: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff_accounts.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = _ts()


class StaffNote(SQLModel, table=True):
    """An internal note on a conversation: staff see it, the customer never does."""

    __tablename__ = "staff_notes"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    author: str = Field(max_length=255)
    text: str
    created_at: datetime = _ts()


class WebhookDelivery(SQLModel, table=True):
    """One event for one configured webhook (policy `webhooks:`), the webhooks' outbox:
    inserted in the transaction of the change it reports, posted by the webhook sender,
    retried with backoff until `sent` or `failed`. The receiver de-duplicates on
    `event_id`; `dedupe_key` keeps a re-run turn from queueing its event twice."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("dedupe_key", "webhook", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36)
    """A UUID, the same for every webhook the event goes to."""
    event: str = Field(max_length=32)
    webhook: int
    """Its position in the policy's `webhooks:` list when queued."""
    url: str = Field(max_length=2048)
    dedupe_key: str = Field(max_length=191)
    conversation_id: int | None = Field(default=None, index=True)
    """No foreign key: an event outlives nothing it reports, but pruning and erasure of
    the conversation remove it (its payload names the customer)."""
    payload: dict[str, Any] = _json({})
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ShadowDecision(SQLModel, table=True):
    """What the shadow policy (`SWITCHBOARD_SHADOW_POLICY`) would have done with one live
    turn, decided in a sandbox after the live turn was answered (switchboard/replay/shadow.py).
    `agrees`: the same intent and route as the live turn's trace."""

    __tablename__ = "shadow_decisions"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True, ondelete="CASCADE")
    message_id: int = Field(foreign_key="messages.id", unique=True, ondelete="CASCADE")
    """The live turn's message (its trace has the same `message_id`)."""
    policy_version: str | None = Field(default=None, max_length=16)
    """The shadow policy's content hash."""
    intent: str | None = Field(default=None, max_length=64)
    route: str | None = Field(default=None, max_length=64)
    node_path: list[str] = _json([])
    """The graph's nodes, then the written workflow's steps."""
    tools: list[str] = _json([])
    """Tools called; a connector write only recorded is `name (would call)`."""
    agrees: bool
    created_at: datetime = _ts()


class GraphCheckpoint(SQLModel, table=True):
    """The newest LangGraph checkpoint of a thread (a conversation, or an approval waiting
    for staff) and its pending writes: one row per thread, replaced in each turn's own
    transaction (storage/checkpoints.py)."""

    __tablename__ = "graph_checkpoints"

    thread_id: str = Field(primary_key=True, max_length=64)
    checkpoint_ns: str = Field(default="", primary_key=True, max_length=255)
    checkpoint_id: str = Field(max_length=64)
    parent_checkpoint_id: str | None = Field(default=None, max_length=64)
    state_type: str = Field(max_length=32)
    """The serializer's name for `state` (LangGraph's `dumps_typed`)."""
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The checkpoint and its metadata."""
    writes_type: str | None = Field(default=None, max_length=32)
    writes: bytes | None = Field(default=None, sa_type=LargeBinary)
    """Writes pending on this checkpoint (an interrupt waiting for its answer)."""
    updated_at: datetime = _ts()
