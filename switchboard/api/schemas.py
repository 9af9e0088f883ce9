"""Response models of the admin API: the base every one of them shares, and the
conversation routes' (`admin.py`: a transcript with its traces, tickets, a link code).
Other resources' models live beside their routes.

Timestamps are ISO 8601 strings, as they always were; free-form JSON the graph records
(LLM calls, tool calls, dialogue state) stays a dict."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[str, Field(description="ISO 8601", json_schema_extra={"format": "date-time"})]


class Public(BaseModel):
    """A response body. An unknown key is refused, not silently dropped: a route that
    adds one fails its tests until the model says what it is."""

    model_config = ConfigDict(extra="forbid")


class ConversationSummary(Public):
    id: int
    channel: str
    mode: str = Field(description="bot, human (with staff) or closed")
    assignee: str | None = Field(description="The staff member who has it, if anyone.")
    customer: str | None = Field(description="The customer's user id, when known.")
    language: str | None
    created_at: Timestamp


class TranscriptMessage(Public):
    id: int
    direction: str = Field(description="inbound or outbound")
    role: str = Field(description="customer, bot or staff")
    author: str | None = Field(description="Who wrote a staff message.")
    text: str
    attachments: list[str]
    language: str | None
    status: str = Field(description="Delivery status (outbound) or processing status.")
    created_at: Timestamp


class TurnLabel(Public):
    """A person's label for the turn: the intent it should have been."""

    intent: str
    labelled_by: str
    source: str = Field(description="admin or slack")
    updated_at: Timestamp


class TurnTrace(Public):
    """What the graph did for one customer message."""

    id: int = Field(description="The trace id (`POST /api/admin/turns/{id}/label`).")
    message_id: int
    intent: str | None
    confidence: float | None
    route: str | None
    entities: list[str] = Field(description="Entity names found in the message.")
    node_path: list[str]
    node_ms: dict[str, float]
    tools: list[str]
    total_ms: float
    llm: list[dict[str, Any]] = Field(
        description="One entry per LLM call: purpose, model, tokens, latency, cost, error."
    )
    tool_calls: list[dict[str, Any]] = Field(
        description="One entry per tool call: tool, arguments, result or error (masked)."
    )
    tokens: int
    cost_usd: float
    dialogue: dict[str, Any] = Field(description="The dialogue state after the turn.")
    policy_version: str | None
    language: str | None
    steps: list[str] = Field(description="Written workflows' steps taken, in order.")
    correction: TurnLabel | None


class TicketPublic(Public):
    number: str
    category: str
    priority: str
    status: str
    summary: str
    conversation_id: int | None
    created_at: Timestamp


class CsatPublic(Public):
    score: int
    comment: str | None


class NotePublic(Public):
    """An internal staff note (never sent to the customer)."""

    id: int
    author: str
    text: str
    created_at: Timestamp


class ConversationDetail(Public):
    conversation: ConversationSummary
    messages: list[TranscriptMessage]
    traces: list[TurnTrace]
    tickets: list[TicketPublic]
    csat: CsatPublic | None
    notes: list[NotePublic]


class TicketList(Public):
    tickets: list[TicketPublic] = Field(description="Newest first.")


class LinkCode(Public):
    code: str = Field(description="What the customer sends the bot: `/link <code>`.")
    expires_at: Timestamp
