"""From a stored conversation to a scenario: `switchboard eval capture ID` and the admin
API's `GET /api/admin/conversations/{id}/scenario`.

Each customer message becomes a `say:` turn (its text as stored, already PII-masked) whose
`expect:` is what that turn met, read from its trace: intent (a staff correction wins),
route, entities, tools, the ticket it opened, the mode and language after it. A staff
decision on an approval becomes an `approve:` turn where it happened. Replayed by `eval`,
the file passes while the bot still does what it did, and says what changed when not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.policy import Policy
from storage import traces
from storage.corrections import corrections_for_conversation
from storage.demo import CUSTOMERS
from storage.demo_file import demo_file_for, read_demo_file
from storage.models import (
    Approval,
    Conversation,
    Customer,
    Direction,
    InboundStatus,
    IntentCorrection,
    Message,
    Role,
    Ticket,
    Trace,
)
from storage.tickets import tickets_for_conversation
from switchboard.scenarios.capture_yaml import Step, render
from switchboard.scenarios.expectations import seen_intent
from switchboard.scenarios.loader import INTENT_ALIASES, PSEUDO_INTENTS
from switchboard.scenarios.schema import Channel, Scenario

HANDOFF_TOOL = "handoff.request"
NAME_CHARS = 60
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class ConversationNotFound(LookupError):
    """No conversation with this id (never existed, pruned or erased)."""


class NothingToReplay(ValueError):
    """The conversation has no customer turn the bot answered."""


@dataclass(frozen=True)
class ReplayTarget:
    """What `switchboard eval` will replay the scenario against: the policy's intents (an
    intent it does not know would make eval refuse the file) and the demo customers."""

    intents: frozenset[str]
    demo_customers: frozenset[str]

    @classmethod
    def for_policy(cls, policy: Policy, policy_path: Path) -> ReplayTarget:
        """Eval's sandbox loads the policy's own `demo.yaml` when it has one, else the
        built-in shop (`DemoFileError` when that file is broken, as eval would fail)."""
        data = demo_file_for(policy_path)
        customers = (
            [c.user_id for c in read_demo_file(data).customers]
            if data is not None
            else [user_id for user_id, *_ in CUSTOMERS]
        )
        known = set(policy.intents) | set(INTENT_ALIASES) | set(PSEUDO_INTENTS)
        return cls(frozenset(known), frozenset(customers))


@dataclass
class _Conversation:
    """The rows a capture reads, in order."""

    row: Conversation
    customer: Customer | None
    inbound: list[Message]
    traces: dict[int, Trace]
    labels: dict[int, IntentCorrection]
    tickets: list[Ticket]
    decisions: list[Approval]


async def capture_scenario(
    session: AsyncSession, conversation_id: int, target: ReplayTarget
) -> str:
    """The conversation as a scenario file (YAML, with comments)."""
    found = await _read(session, conversation_id)
    steps, stop, model_turns = _steps(found, target)
    if not any("say" in s.turn for s in steps):
        raise NothingToReplay(
            f"conversation {conversation_id} has no customer turn the bot answered"
        )
    first = next(s.turn["say"] for s in steps if "say" in s.turn)
    data: dict[str, Any] = {"name": _name(conversation_id, first), "tags": ["captured"]}
    header = [
        f"Captured from conversation {conversation_id} (started "
        f"{_utc(found.row.created_at):%Y-%m-%d %H:%M} UTC) by `switchboard eval capture`:",
        "each turn expects what it met then; a failed turn is what the bot does differently now.",
    ]
    channel = found.row.channel if found.row.channel in get_args(Channel) else "webchat"
    if channel != found.row.channel:
        header.append(f"It came on {found.row.channel}, which eval cannot play: web chat here.")
    data["channel"] = channel
    customer = found.customer.user_id if found.customer else None
    if customer is not None and customer in target.demo_customers:
        data["customer"] = customer
    elif customer is not None:
        # Not their id: the file may be shared, and eval knows only the demo company.
        header.append(
            "The customer was signed in but is not a demo customer: replayed as an anonymous "
            "visitor, so account data is not found."
        )
    else:
        header.append("The customer was an anonymous visitor.")
    if model_turns:
        data["needs_llm"] = True
        numbers = ", ".join(map(str, model_turns))
        turns = "turns" if len(model_turns) > 1 else "turn"
        header.append(f"The model answered {turns} {numbers}: run with --llm.")
    data["turns"] = [s.turn for s in steps]
    Scenario.model_validate(data)  # what eval will read: never write a file it refuses
    return render(header, data, steps, [stop] if stop else [])


async def _read(session: AsyncSession, conversation_id: int) -> _Conversation:
    row = await session.get(Conversation, conversation_id)
    if row is None:
        raise ConversationNotFound(f"conversation {conversation_id} not found")
    customer = await session.get(Customer, row.customer_id) if row.customer_id else None
    inbound = await session.exec(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.inbound,
            Message.role == Role.customer,
        )
        .order_by(col(Message.id))
    )
    decided = await session.exec(
        select(Approval)
        .where(
            Approval.conversation_id == conversation_id,
            col(Approval.status).in_(("approved", "denied")),
            col(Approval.decided_at).is_not(None),
        )
        .order_by(col(Approval.decided_at))
    )
    turns = await traces.traces_for_conversation(session, conversation_id)
    return _Conversation(
        row=row,
        customer=customer,
        inbound=list(inbound.all()),
        traces={t.message_id: t for t in turns},
        labels=await corrections_for_conversation(session, conversation_id),
        tickets=await tickets_for_conversation(session, conversation_id),
        decisions=list(decided.all()),
    )


def _steps(found: _Conversation, target: ReplayTarget) -> tuple[list[Step], str | None, list[int]]:
    """The turns, why they stop before the last customer message (None: they do not),
    and the numbers of the turns a model took part in.

    They stop at the handoff rather than skip the messages staff answered: eval has no
    staff, so its conversation stays with a person, and turns after a hand-back would
    meet human mode instead of the bot."""
    steps: list[Step] = []
    model_turns: list[int] = []
    decisions = list(found.decisions)
    for index, message in enumerate(found.inbound):
        steps += _decided_before(decisions, message.created_at)
        if message.status == InboundStatus.throttled:
            continue  # sent faster than the rate limit: stored, never run
        trace = found.traces.get(message.id or 0)
        if trace is None:
            if message.status == InboundStatus.received:
                return steps, "Stopped where the bot had not answered yet.", model_turns
            return steps, _stopped(len(found.inbound) - index), model_turns
        steps.append(_turn(message, trace, found, target))
        if trace.llm_calls:
            model_turns.append(len(steps))
        if HANDOFF_TOOL in trace.tools:
            later = len(found.inbound) - index - 1
            return steps, _stopped(later) if later else None, model_turns
    steps += _decided_before(decisions, None)
    return steps, None, model_turns


def _stopped(left_out: int) -> str:
    plural = "s" if left_out != 1 else ""
    return (
        f"Stopped at the handoff: {left_out} later customer message{plural} went to a "
        "person, which eval cannot replay."
    )


def _decided_before(decisions: list[Approval], moment: datetime | None) -> list[Step]:
    """Staff decisions made before the customer's next message (`None`: all the rest),
    taken off the list."""
    taken: list[Step] = []
    while decisions and (moment is None or _utc(decisions[0].decided_at) < _utc(moment)):
        approval = decisions.pop(0)
        taken.append(
            Step(
                {"approve": approval.status == "approved"},
                [f"staff {approval.status} {approval.tool}"],
            )
        )
    return taken


def _turn(message: Message, trace: Trace, found: _Conversation, target: ReplayTarget) -> Step:
    expect: dict[str, Any] = {}
    comments: list[str] = []
    intent = seen_intent(trace.intent, trace.route)
    label = found.labels.get(trace.id or 0)
    corrected = label is not None and label.intent != intent
    if label is not None and corrected:
        # What the bot did next followed the wrong intent: expecting it again would hold
        # the bot to its mistake once the classifier is retrained.
        comments.append(
            f"intent corrected by staff (the bot saw {intent} -> {trace.route}): "
            "route, tools, ticket and mode left out"
        )
        intent = label.intent
    if intent is not None and intent in target.intents:
        expect["intent"] = intent
    elif intent is not None:
        comments.append(f"intent {intent!r} is not in the policy: not expected")
    if not corrected and trace.route:
        expect["route"] = trace.route
    names = list(trace.entities.get("names") or [])
    if names:
        expect["entities"] = names
    if not corrected:
        if trace.tools:
            expect["tools"] = list(dict.fromkeys(trace.tools))
        ticket = _opened(found.tickets, message, trace)
        if ticket is not None:
            expect["ticket"] = {"category": ticket.category, "priority": ticket.priority}
        expect["mode"] = "human" if HANDOFF_TOOL in trace.tools else "bot"
    language = message.language or trace.language
    if language and _LANGUAGE.match(language):
        expect["language"] = language
    turn: dict[str, Any] = {"say": message.text}
    if expect:
        turn["expect"] = expect
    return Step(turn, comments)


def _opened(tickets: Iterable[Ticket], message: Message, trace: Trace) -> Ticket | None:
    """The ticket this turn opened: created between its message and its trace, which
    the turn writes after its tools ran."""
    if "tickets.create" not in trace.tools:
        return None
    start, end = _utc(message.created_at), _utc(trace.created_at)
    return next((t for t in tickets if start <= _utc(t.created_at) <= end), None)


def _utc(moment: datetime | None) -> datetime:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    assert moment is not None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _name(conversation_id: int, first: str) -> str:
    text = " ".join(first.split())
    if len(text) > NAME_CHARS:
        text = text[: NAME_CHARS - 3].rstrip() + "..."
    name = f"captured conversation {conversation_id}"
    return f"{name}: {text}" if text else name
