"""One turn seen two ways, what happened and what the new policy would do, and the kinds
of difference between them."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.runner import TurnOutcome
from storage.models import Trace
from switchboard.replay.connectors import WOULD_CALL

#: The kinds of change a report counts, in the order it lists them.
KINDS = ("intent", "route", "steps", "tools", "ticket", "handoff", "approval", "llm")
HANDOFF_TOOL = "handoff.request"
APPROVAL_TOOL = "approvals.request"
TICKET_TOOL = "tickets.create"
WITH_A_PERSON = "with a person"
"""The route of a turn the replay never ran: an earlier replayed turn handed over."""


@dataclass
class TurnView:
    """What a turn did, as far as a policy change can change it."""

    intent: str | None = None
    route: str | None = None
    path: list[str] = field(default_factory=list)
    """The graph's nodes, then the written workflow's steps."""
    tools: list[str] = field(default_factory=list)
    """Tools called, a connector write the replay only recorded as `name (would call)`."""
    ticket: str | None = None
    """`category/priority` of the ticket opened."""
    handoff: bool = False
    approval: bool = False
    llm_calls: int = 0
    cost_usd: float = 0.0
    replies: list[str] = field(default_factory=list)

    @property
    def workflow(self) -> str | None:
        route = self.route or ""
        return route.removeprefix("workflow:") if route.startswith("workflow:") else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"workflow": self.workflow}


_FIELD = re.compile(r'"(category|priority)": "([^"]*)"')


def _ticket(tool_calls: list[dict[str, Any]]) -> str | None:
    """The first ticket the turn opened, from its traced arguments (JSON, maybe cut short)."""
    for call in tool_calls:
        if call.get("tool") == TICKET_TOOL and call.get("status", "ok") == "ok":
            found = dict(_FIELD.findall(str(call.get("arguments", ""))))
            return f"{found.get('category', '?')}/{found.get('priority', '?')}"
    return None


def _tool_names(names: list[str]) -> list[str]:
    return [n for n in names if n != APPROVAL_TOOL]  # shown as `approval`


def original_view(trace: Trace, replies: list[str]) -> TurnView:
    return TurnView(
        intent=trace.intent,
        route=trace.route,
        path=[*trace.node_path, *trace.steps],
        tools=_tool_names(list(trace.tools)),
        ticket=_ticket(list(trace.tool_calls)),
        handoff=HANDOFF_TOOL in trace.tools,
        approval=APPROVAL_TOOL in trace.tools,
        llm_calls=trace.llm_calls,
        cost_usd=trace.cost_usd,
        replies=replies,
    )


def replayed_view(outcome: TurnOutcome, served: list[tuple[str, str]]) -> TurnView:
    would_call = [name for name, how in served if how == WOULD_CALL]
    tools = []
    for name in _tool_names(outcome.tools):
        if name in would_call:
            would_call.remove(name)
            name = f"{name} ({WOULD_CALL})"
        tools.append(name)
    return TurnView(
        intent=outcome.intent,
        route=outcome.route,
        path=[*outcome.node_path, *outcome.steps],
        tools=tools,
        ticket=_ticket(outcome.tool_calls),
        handoff=HANDOFF_TOOL in outcome.tools,
        approval=APPROVAL_TOOL in outcome.tools or bool(outcome.approvals),
        llm_calls=len(outcome.llm_calls),
        cost_usd=outcome.cost_usd,
        replies=[r["text"] for r in outcome.replies],
    )


def not_run_view() -> TurnView:
    """A turn the replay did not run: the conversation was with a person by then."""
    return TurnView(route=WITH_A_PERSON)


def _bare(tools: list[str]) -> list[str]:
    return [t.removesuffix(f" ({WOULD_CALL})") for t in tools]


def changes(original: TurnView, replayed: TurnView) -> list[str]:
    """The kinds of change between the two, in `KINDS` order (none: the same turn)."""
    differ = {
        "intent": original.intent != replayed.intent,
        "route": original.route != replayed.route,
        "steps": original.path != replayed.path,
        "tools": _bare(original.tools) != _bare(replayed.tools),
        "ticket": original.ticket != replayed.ticket,
        "handoff": original.handoff != replayed.handoff,
        "approval": original.approval != replayed.approval,
        "llm": original.llm_calls != replayed.llm_calls
        or round(original.cost_usd, 6) != round(replayed.cost_usd, 6),
    }
    return [kind for kind in KINDS if differ[kind]]
