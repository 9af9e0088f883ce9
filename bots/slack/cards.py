"""What the staff desk shows in Slack, as plain data, and what Slack asks of the desk.

The desk (`switchboard.desk.slack_desk`) reads storage and fills these in; `bots.slack.blocks`
renders them as Block Kit. Neither side knows the other's details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class MessageRef:
    """A Slack message: its channel and timestamp (a thread's root when it has replies)."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Line:
    role: str  # customer | bot | staff
    text: str
    translation: str | None = None  # into the staff's language, shown under the original


@dataclass(frozen=True)
class HandoffCard:
    conversation_id: int
    customer: str
    channel: str
    intent: str | None
    reason: str
    summary: str
    admin_url: str
    transcript: tuple[Line, ...] = ()
    ticket_number: str | None = None
    assignee: str | None = None
    closed: str | None = None  # None while open; "resolved" | "returned"
    closed_by: str | None = None
    trace_id: int | None = None
    """The turn that led to the handoff: what "Correct intent" labels."""
    confidence: float | None = None
    intents: tuple[str, ...] = ()
    """What staff may pick as the right intent (the policy's); none → no menu."""
    corrected: str | None = None
    corrected_by: str | None = None
    language: str | None = None
    """The language the customer writes in, named for staff ("Spanish")."""


@dataclass(frozen=True)
class TicketCard:
    number: str
    priority: str
    category: str
    status: str
    customer: str
    summary: str
    admin_url: str
    amount: str | None = None


@dataclass(frozen=True)
class ApprovalCard:
    approval_id: int
    tool: str
    summary: str
    customer: str
    admin_url: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    status: str = "pending"  # pending | approved | denied
    decided_by: str | None = None


@dataclass(frozen=True)
class NoticeCard:
    """Anything else staff should read: a failed turn, a free-form notify.staff."""

    kind: str
    text: str
    admin_url: str | None = None


@dataclass(frozen=True)
class OpenHandoff:
    conversation_id: int
    customer: str
    channel: str
    reason: str
    assignee: str | None
    since: str
    thread: MessageRef | None


@dataclass(frozen=True)
class StatusReport:
    handoffs: tuple[OpenHandoff, ...]
    approvals: tuple[ApprovalCard, ...]


Card = HandoffCard | TicketCard | ApprovalCard | NoticeCard


class StaffDesk(Protocol):
    """The staff actions Slack's buttons, thread replies and slash command lead to.
    Each call does its own Slack updates (card edits, thread notes, ephemeral replies)."""

    async def take(self, conversation_id: int, user: str) -> None: ...

    async def hand_back(self, conversation_id: int, user: str, *, resolved: bool) -> None: ...

    async def staff_reply(self, thread: MessageRef, user: str, text: str) -> None: ...

    async def decide(
        self, approval_id: int, user: str, *, approved: bool, card: MessageRef
    ) -> None: ...

    async def label_intent(self, trace_id: int, intent: str, user: str, card: MessageRef) -> None:
        """Staff say which intent a turn really was (training data for the classifier)."""
        ...

    async def may_use_commands(self, user: str, channel: str) -> bool: ...

    async def status(self) -> StatusReport: ...

    async def ticket(self, number: str) -> TicketCard | None: ...
