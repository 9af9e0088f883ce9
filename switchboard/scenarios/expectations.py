"""Checking a turn's `expect` against what staff would see afterwards: the turn's trace
(intent, route, entities, tools, LLM use), the tickets table, the conversation's mode, and
the replies the customer actually received. Each failure is one line: expected vs seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import traces
from storage.csat import csat_for_conversation
from storage.models import Conversation, Ticket, Trace
from switchboard.scenarios.loader import INTENT_ALIASES
from switchboard.scenarios.schema import Expect
from switchboard.scenarios.visitors import Seen


@dataclass
class Observation:
    """Everything a turn left behind, read back from the database after it finished."""

    seen: Seen | None
    rejected: str | None = None
    trace: Trace | None = None
    mode: str | None = None
    language: str | None = None
    tickets: list[Ticket] = field(default_factory=list)
    csat: int | None = None

    @property
    def reply_text(self) -> str:
        return "\n".join(r.text for r in self.seen.replies) if self.seen else ""

    @property
    def quick_replies(self) -> list[str]:
        return [q for r in self.seen.replies for q in r.quick_replies] if self.seen else []

    @property
    def entities(self) -> list[str]:
        names = self.trace.entities.get("names", []) if self.trace else []
        return list(names)


async def observe(
    sessions: async_sessionmaker[AsyncSession], seen: Seen | None, *, rejected: str | None = None
) -> Observation:
    observation = Observation(seen=seen, rejected=rejected)
    async with sessions() as session:
        if seen is not None:
            if seen.message_id is not None:  # a staff decision is not a customer turn
                observation.trace = await traces.trace_for_message(session, seen.message_id)
            conversation = await session.get(Conversation, seen.conversation_id)
            observation.mode = str(conversation.mode) if conversation else None
            observation.language = conversation.language if conversation else None
        observation.tickets = list(
            (await session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        )
        if seen is not None:
            rating = await csat_for_conversation(session, seen.conversation_id)
            observation.csat = rating.score if rating else None
    return observation


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")


def seen_intent(intent: str | None, route: str | None) -> str | None:
    """A turn sent to `clarify` was not understood, whatever the classifier's top guess."""
    return "clarify" if route == "workflow:clarify" else intent


def intent_matches(expected: str, intent: str | None, route: str | None) -> bool:
    seen = seen_intent(intent, route)
    return seen is not None and seen in (expected, INTENT_ALIASES.get(expected))


def route_matches(expected: str, actual: str | None) -> bool:
    if ":" in expected:
        return actual == expected
    return actual == expected or (actual or "").startswith(expected + ":")


def _ticket_line(ticket: Ticket) -> str:
    return f"{ticket.number} {ticket.category}/{ticket.priority}/{ticket.status}"


def _no_trace(observation: Observation) -> str:
    if observation.seen is not None and observation.seen.message_id is None:
        return "no trace: a staff decision is not a customer turn"
    if observation.mode == "human":
        return "no trace: the conversation is with a person, the message was relayed to staff"
    return "no trace was recorded for this turn"


def check(expect: Expect, observation: Observation) -> list[str]:
    """Failed expectations, each as `key: expected …, saw …`; empty when the turn passed."""
    if observation.rejected is not None:
        return []  # checked by the runner: a rejected message has nothing else to look at
    failures: list[str] = []
    trace = observation.trace
    trace_keys = ("intent", "route", "entities", "tools", "tools_not_called", "asks_for", "active")
    if trace is None and any(getattr(expect, key) is not None for key in trace_keys):
        failures.append(f"trace: {_no_trace(observation)}")
    if trace is not None:
        failures += _check_trace(expect, trace, observation)
    failures += _check_reply(expect, observation)
    if expect.ticket is not None:
        failures += _check_ticket(expect, observation.tickets)
    if expect.csat is not None and observation.csat != expect.csat:
        failures.append(f"csat: expected {expect.csat}, saw {observation.csat}")
    if expect.mode is not None and observation.mode != expect.mode:
        failures.append(f"mode: expected {expect.mode}, saw {observation.mode}")
    if expect.language is not None and observation.language != expect.language:
        failures.append(f"language: expected {expect.language}, saw {observation.language}")
    calls = trace.llm_calls if trace else 0
    tokens = trace.tokens if trace else 0
    if expect.max_llm_calls is not None and calls > expect.max_llm_calls:
        failures.append(f"max_llm_calls: expected at most {expect.max_llm_calls}, saw {calls}")
    if expect.max_tokens is not None and tokens > expect.max_tokens:
        failures.append(f"max_tokens: expected at most {expect.max_tokens}, saw {tokens}")
    return failures


def _check_trace(expect: Expect, trace: Trace, observation: Observation) -> list[str]:
    failures: list[str] = []
    if expect.intent is not None and not intent_matches(expect.intent, trace.intent, trace.route):
        confidence = f" (confidence {trace.confidence:.2f})" if trace.confidence else ""
        failures.append(
            f"intent: expected {expect.intent}, saw {trace.intent}{confidence} -> {trace.route}"
        )
    if expect.route is not None and not route_matches(expect.route, trace.route):
        failures.append(f"route: expected {expect.route}, saw {trace.route}")
    if expect.entities is not None:
        missing = [e for e in expect.entities if e not in observation.entities]
        if missing:
            failures.append(
                f"entities: missing {', '.join(missing)}; saw [{', '.join(observation.entities)}]"
            )
    failures += _check_dialogue(expect, trace)
    called = list(trace.tools)
    if expect.tools is not None:
        missing = [t for t in expect.tools if t not in called]
        if missing:
            failures.append(f"tools: not called {', '.join(missing)}; called [{', '.join(called)}]")
    if expect.tools_not_called is not None:
        forbidden = [t for t in expect.tools_not_called if t in called]
        if forbidden:
            failures.append(f"tools_not_called: {', '.join(forbidden)} was called")
    return failures


def _check_dialogue(expect: Expect, trace: Trace) -> list[str]:
    """The workflow stack as the trace recorded it after the turn (graph/stack.py)."""
    dialogue = trace.entities.get("dialogue") or {}
    failures: list[str] = []
    for key in ("asks_for", "active"):
        wanted = getattr(expect, key)
        if wanted is None:
            continue
        seen = dialogue.get(key) or "none"
        if seen != wanted:
            stack = " > ".join(dialogue.get("stack") or []) or "empty"
            failures.append(f"{key}: expected {wanted}, saw {seen} (stack: {stack})")
    return failures


def _check_reply(expect: Expect, observation: Observation) -> list[str]:
    failures: list[str] = []
    text = observation.reply_text
    lowered = text.casefold()
    saw = _short(text) if text else "no reply"
    for wanted in expect.reply_contains or []:
        if wanted.casefold() not in lowered:
            failures.append(f"reply_contains: {wanted!r} not in the reply; saw {saw}")
    for unwanted in expect.reply_not_contains or []:
        if unwanted.casefold() in lowered:
            failures.append(f"reply_not_contains: {unwanted!r} is in the reply; saw {saw}")
    count = len(observation.seen.replies) if observation.seen else 0
    if expect.replies is not None and count != expect.replies:
        failures.append(f"replies: expected {expect.replies} messages, saw {count}; {saw}")
    offered = observation.quick_replies
    for label in expect.quick_replies or []:
        if label not in offered:
            failures.append(f"quick_replies: {label!r} not offered; offered {offered}")
    return failures


def _check_ticket(expect: Expect, tickets: list[Ticket]) -> list[str]:
    if expect.ticket is False:
        if tickets:
            return [f"ticket: expected none, saw {', '.join(_ticket_line(t) for t in tickets)}"]
        return []
    assert expect.ticket is not None
    wanted: dict[str, Any] = expect.ticket.fields()
    for ticket in tickets:
        if all(getattr(ticket, key) == value for key, value in wanted.items()):
            return []
    want = ", ".join(f"{k}={v}" for k, v in wanted.items()) or "any"
    saw = ", ".join(_ticket_line(t) for t in tickets) or "no tickets"
    return [f"ticket: expected one with {want}; saw {saw}"]
