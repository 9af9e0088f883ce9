"""workflow: runs a workflow written in the policy file (graph/workflow_language.py).

One generic node for every written workflow. It walks the compiled program from the
frame's position until the workflow waits for a slot, ends or hands over; the position
and the `as` variables are kept in the frame, so the next message (or a restart) resumes
at the same step. Tools act for the verified customer (the engine binds it); a
sensitive tool becomes an approval request, as everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from graph import slots
from graph.agent_loop import AgentAnswer, answer_with_tools
from graph.context import TurnContext
from graph.handover import WAITING_REPLY, hand_over
from graph.i18n import N_, _, language, pick, speaking
from graph.policy import WorkflowPolicy
from graph.prompts import NO_ANSWER_REPLY, WORKFLOW_AGENT_SYSTEM, answer_in
from graph.replies import NO_THANKS, TALK_TO_PERSON, reply, sign_in_needed
from graph.stack import replace_top, top
from graph.state import ConversationState, Frame, Reply
from graph.templates import (
    WorkflowTemplateError,
    evaluate,
    names_used,
    render,
    value,
    variable,
)
from graph.workflow_language import (
    Agent,
    Ask,
    Call,
    End,
    Fill,
    Handoff,
    If,
    Instruction,
    Notify,
    Offer,
    Reask,
    Say,
    Set,
    Ticket,
)
from tools.arguments import check_arguments
from tools.base import ToolError

log = structlog.get_logger(__name__)

MAX_INSTRUCTIONS = 200
"""Steps in one turn: a written loop cannot spin forever."""
VARIABLES_MAX_CHARS = 8000
"""A frame's variables are checkpointed every turn: large tool results are cut."""
APPROVAL_WAITING = N_(
    "I've asked our team to approve this: {summary}. I'll tell you here as soon as they decide."
)
STILL_WAITING = N_("I'm still waiting for our team's decision on {summary}. I'll tell you here.")
ERROR_REPLY = N_(
    "I'm sorry, I couldn't complete that just now. I've opened ticket {ticket} so a person "
    "from our team can look into it."
)


class Waiting(Exception):
    """The workflow asked the customer something: stop, and resume at `at` (else at the
    step that asked)."""

    def __init__(self, at: int | None = None) -> None:
        super().__init__(at)
        self.at = at


@dataclass
class Run:
    """One turn of one workflow: what it said and did, and where it got to."""

    state: ConversationState
    context: TurnContext
    workflow: WorkflowPolicy
    frame: Frame
    variables: dict[str, Any]
    replies: list[Reply] = field(default_factory=list)
    did: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    outcome: str = ""
    handed_over: bool = False
    ticket: Any = None
    """The ticket this turn's steps opened (a handoff refers to it)."""
    _fixed: dict[str, Any] | None = None

    def names(self) -> dict[str, Any]:
        """What templates and expressions may read: the variables and slots as they are
        now, over what stays the same for the whole run (built once, at the first step)."""
        if self._fixed is None:
            self._fixed = self._fixed_names()
        return {
            **self.variables,
            # Every declared slot is a name: unknown until asked, then its value.
            "slots": {**dict.fromkeys(self.workflow.slots), **(self.frame.get("slots") or {})},
            **self._fixed,
        }

    def _fixed_names(self) -> dict[str, Any]:
        context = self.context
        # The request that started the workflow, not the answer to its last question.
        request = self.variables.get("_request") or {}
        entities: dict[str, Any] = dict(request.get("entities") or {})
        flags = {flag: True for flag in entities.get("flags") or []}
        return {
            "customer": {
                "name": context.customer_name,
                "email": context.customer_email,
                "vip": context.customer_vip,
                "verified": context.tools.verified,
            },
            "entities": _Entities({**entities, **flags}),
            "workflow": {
                "label": pick(self.workflow.label),
                "slots": {name: slot.model_dump() for name, slot in self.workflow.slots.items()},
            },
            "message": request.get("message", ""),
            "channel": self.state.get("channel", ""),
            "now": datetime.now(UTC),
            "company": context.company,
            "currency": context.policy.currency,
            "lang": language(),
        }

    def say(self, text: str, *quick_replies: str) -> None:
        self.replies.append(reply(text, *quick_replies))

    def for_staff(self, template: Any, names: dict[str, Any]) -> Any:
        """A staff-facing template (ticket, notice, approval summary) worded in the
        policy's default language, whichever language the customer writes in."""
        default = self.context.policy.language
        with speaking(default, default):
            return value(template, names)


class _Entities(dict[str, Any]):
    """`entities.urgent` is false, not an error, when the message did not say so."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name, False)


async def run_workflow(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    stack = list(state.get("stack") or [])
    frame: Frame = dict(top(stack) or {})  # type: ignore[assignment]
    name = frame.get("name", "")
    workflow = context.policy.workflows[name]
    if workflow.requires == "verified" and not context.tools.verified:
        return {"replies": [sign_in_needed(pick(workflow.label))], "step": name}
    program = context.policy.program(name)
    run = Run(state, context, workflow, frame, dict(frame.get("vars") or {}))
    run.variables.setdefault(
        "_request", {"message": state.get("text", ""), "entities": state.get("entities") or {}}
    )
    pc: int = frame.get("pc", 0)
    if frame.get("approval") and not _decided(run, program, pc, state.get("decision")):
        summary = (run.variables.get("_approval") or {}).get("summary") or _("your request")
        return {"replies": [reply(_(STILL_WAITING).format(summary=summary))], "step": name}
    try:
        for _turn_step in range(MAX_INSTRUCTIONS):
            if pc >= len(program):
                run.outcome = run.outcome or "resolved"
                break
            instruction = program[pc]
            run.path.append(instruction.label)
            pc = await _step(run, program, pc, instruction)
            if run.outcome or run.handed_over:
                break
        else:
            raise WorkflowTemplateError(f"more than {MAX_INSTRUCTIONS} steps in one turn")
    except Waiting as waiting:
        run.frame["pc"] = waiting.at if waiting.at is not None else pc
    except WorkflowTemplateError as exc:  # a policy error only live data shows
        await _failed(run, f"workflow {name} at {run.path[-1]}: {exc}")
    run.frame["vars"] = _capped(run.variables)
    run.frame["outcome"] = run.outcome
    context.trace.steps.extend(f"{name}:{label}" for label in run.path)
    update: dict[str, Any] = {
        "replies": run.replies,
        "did": run.did,
        "stack": replace_top(stack, run.frame),
        "step": "handoff" if run.handed_over else name,
    }
    if run.handed_over:
        update["csat"] = state.get("csat") or "handoff"
    return update


def _decided(
    run: Run, program: list[Instruction], pc: int, decision: dict[str, Any] | None
) -> bool:
    """Staff decided the approval this workflow paused for: the paused `call`'s variable
    becomes the outcome, and the workflow goes on at its next step."""
    if not decision or decision.get("approval_id") != run.frame.get("approval"):
        return False
    run.frame["approval"] = 0
    run.variables.pop("_approval", None)
    paused = program[pc - 1].step if pc > 0 else None
    if isinstance(paused, Call) and paused.as_:
        run.variables[paused.as_] = {k: v for k, v in decision.items() if k != "approval_id"}
    return True


async def _step(run: Run, program: list[Instruction], pc: int, instruction: Instruction) -> int:
    """Carry out one instruction; the index of the next one."""
    step = instruction.step
    names = run.names()
    if instruction.kind == "jump":
        assert instruction.target is not None
        return instruction.target
    if isinstance(step, If):
        if evaluate(step.if_, names):
            return pc + 1
        assert instruction.target is not None
        return instruction.target
    if isinstance(step, Ask):
        if not (run.frame.get("slots") or {}).get(step.ask):
            await _ask(run, step.ask, hint="", choices=_choices(step.choices, names))
        return pc + 1
    if isinstance(step, Reask):
        return await _reask(run, program, step, names)
    if isinstance(step, Call):
        return await _call(run, pc, instruction, step, names)
    if isinstance(step, Agent):
        return await _agent(run, pc, instruction, step, names)
    if isinstance(step, Ticket | Notify | Handoff):
        run.frame["wrote"] = True
    if isinstance(step, Say):
        _reply(run, step, names)
    elif isinstance(step, Ticket):
        await _ticket(run, step, names)
    elif isinstance(step, Notify):
        await _notify(run, str(run.for_staff(step.notify, names)))
    elif isinstance(step, Handoff):
        await _handoff(run, step, names)
    elif isinstance(step, Set):
        for key in _in_dependency_order(step.set):
            run.variables[key] = variable(evaluate(step.set[key], run.names()))
    elif isinstance(step, Fill):
        filled = {slot: str(evaluate(source, names)) for slot, source in step.fill.items()}
        run.frame["slots"] = {**(run.frame.get("slots") or {}), **filled}
    elif isinstance(step, Offer):
        run.frame["choices"] = [str(choice) for choice in evaluate(step.offer, names)][:4]
        run.frame["choice_words"] = slots.describe(run.frame["choices"], run.variables)
    elif isinstance(step, End):
        run.outcome = step.end
    return pc + 1


def _in_dependency_order(assignments: dict[str, str]) -> list[str]:
    """`set` keys so that each comes after the ones it reads: a mapping's order does not
    survive every YAML tool (many sort keys when they write a file)."""
    pending = {key: names_used(source, expression=True) for key, source in assignments.items()}
    ordered: list[str] = []
    while pending:
        ready = [key for key, used in pending.items() if not (used & set(pending)) - {key}]
        for key in ready or [next(iter(pending))]:  # a cycle: as written
            ordered.append(key)
            pending.pop(key)
    return ordered


def _choices(source: str | None, names: dict[str, Any]) -> list[str] | None:
    return None if source is None else [str(choice) for choice in evaluate(source, names)]


async def _ask(run: Run, slot_name: str, *, hint: str, choices: list[str] | None) -> None:
    """Wait for `slot_name`: the question, with its choices as quick replies."""
    slot = run.workflow.slots[slot_name]
    records = run.variables  # where the offered values' descriptions are looked up
    if choices is not None:
        offered = choices
    elif isinstance(slot.choices, list):
        offered = list(slot.choices)
    elif slot.choices == "recent_orders" and run.context.tools.verified:
        recent = await run.context.tools.call("orders.recent", limit=4)
        offered = [order.number for order in recent]
        records = {**run.variables, "recent_orders": variable(recent)}  # not kept
    else:
        offered = []
    values = dict(run.frame.get("slots") or {})
    values.pop(slot_name, None)
    run.frame["slots"], run.frame["choices"] = values, offered[:4]
    run.frame["choice_words"] = slots.describe(offered[:4], records)
    run.frame["asking"] = slot_name
    run.replies.append(slots.question(slot, offered[:4], hint=hint))
    raise Waiting


async def _reask(run: Run, program: list[Instruction], step: Reask, names: dict[str, Any]) -> int:
    slot = run.workflow.slots[step.reask]
    attempts = run.frame.get("attempts", 0) + 1
    if attempts >= slot.max_attempts:
        run.frame["attempts"], run.frame["asking"] = 0, ""
        run.replies.append(slots.give_up(pick(run.workflow.label)))
        run.outcome = "unresolved"
        return len(program)
    run.frame["attempts"] = attempts
    first_ask = next(
        (
            i
            for i, ins in enumerate(program)
            if isinstance(ins.step, Ask) and ins.step.ask == step.reask
        ),
        None,
    )
    if step.hint:
        hint = render(pick(step.hint), names)
    else:
        hint = pick(slot.hint) or _("That doesn't look right.")
    try:
        await _ask(run, step.reask, hint=hint, choices=_choices(step.choices, names))
    except Waiting:
        raise Waiting(first_ask) from None  # the answer is checked again from there
    return len(program)


async def _call(
    run: Run, pc: int, instruction: Instruction, step: Call, names: dict[str, Any]
) -> int:
    spec = run.context.tools.spec(step.call)
    try:
        if spec is None:  # checked at start; a tool a connector no longer offers
            raise ToolError(f"unknown tool {step.call}")
        checked = check_arguments(spec, value(step.with_, names))
        if spec.risk == "sensitive":
            summary = (
                str(run.for_staff(step.summary, names))
                if step.summary
                else f"{spec.name} {checked}"
            )
            approval_id = await run.context.tools.request_approval(spec.name, checked, summary)
            run.frame["wrote"] = True
            run.context.trace.approvals.append(approval_id)
            run.did.append(f"the approval request to {summary}")
            waiting = render(pick(step.waiting), names) if step.waiting else None
            run.say(waiting or _(APPROVAL_WAITING).format(summary=summary))
            # Paused until staff decide (graph/approval.py resumes it at the next step).
            run.frame["approval"] = approval_id
            run.variables["_approval"] = {"summary": summary}
            if step.as_:
                run.variables[step.as_] = {"outcome": "pending", "summary": summary}
            raise Waiting(pc + 1)
        result: Any = await run.context.tools.call(spec.name, **checked)
        run.frame["wrote"] = run.frame.get("wrote", False) or spec.risk != "read"
    except (ToolError, ValueError) as exc:
        if instruction.target is not None:
            return instruction.target
        await _failed(run, f"{step.call} failed: {exc}")
        return pc + 1
    if step.as_:
        run.variables[step.as_] = variable(result)
    return pc + 1


async def _agent(
    run: Run, pc: int, instruction: Instruction, step: Agent, names: dict[str, Any]
) -> int:
    context = run.context
    verified = context.tools.verified
    allowed = [
        name
        for name in step.agent.tools
        if (spec := context.tools.spec(name)) is not None and (verified or spec.public)
    ]
    identity = "a signed-in, verified customer" if verified else "an anonymous visitor"
    system = WORKFLOW_AGENT_SYSTEM.format(
        company=context.company,
        goal=render(step.agent.goal, names),
        identity=identity,
        max_chars=context.policy.llm.max_reply_chars,
        answer_in=answer_in(language()),
    )
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(run.state.get("text", ""))]
    answer = (
        AgentAnswer(failure="budget")
        if run.state.get("budget_spent")
        else await answer_with_tools(context, messages, allowed, max_steps=step.agent.max_steps)
    )
    if answer.text is not None:
        run.say(answer.text)
        if step.as_:
            run.variables[step.as_] = {"answer": answer.text}
        return pc + 1
    context.trace.record(f"fallback:{answer.failure}", 0.0)
    if instruction.target is not None:
        return instruction.target
    run.say(_(NO_ANSWER_REPLY), _(TALK_TO_PERSON), _(NO_THANKS))
    run.outcome = "unresolved"
    return pc + 1


def _reply(run: Run, step: Say, names: dict[str, Any]) -> None:
    # A button written once may be one of the code's own ("Talk to a person"): the
    # catalogues word it, so pressing it in any language is read back the same.
    buttons = [render(_(q) if isinstance(q, str) else pick(q), names) for q in step.quick_replies]
    if step.quick_replies_from:
        slot = run.workflow.slots[step.quick_replies_from]
        buttons += [slots.choice_label(slot, c) for c in (run.frame.get("choices") or [])[:3]]
    run.say(render(pick(step.reply), names), *buttons)


async def _ticket(run: Run, step: Ticket, names: dict[str, Any]) -> None:
    fields = {
        k: run.for_staff(v, names) for k, v in step.ticket.model_dump().items() if v is not None
    }
    ticket = await run.context.tools.call("tickets.create", **fields)
    run.ticket = ticket
    run.variables["_ticket_id"] = ticket.id
    run.variables["_ticket"] = {
        "number": ticket.number,
        "status": ticket.status,
        "priority": ticket.priority,
    }
    if step.as_:
        run.variables[step.as_] = variable(ticket)
    if ticket.created:
        run.did.append(f"{fields.get('category', 'support')} ticket {ticket.number}")


async def _notify(run: Run, text: str) -> None:
    await run.context.tools.call(
        "notify.staff", kind="ticket", text=text, ticket_id=run.variables.get("_ticket_id")
    )


async def _handoff(run: Run, step: Handoff, names: dict[str, Any]) -> None:
    """A person takes over, honestly (graph/handover.py): nobody to take it, or outside
    the opening hours, and the customer is told so."""
    reason = str(run.for_staff(step.handoff.reason, names))
    summary = (
        str(run.for_staff(step.handoff.summary, names))
        if step.handoff.summary
        else f"Handoff from workflow {run.frame.get('name')} ({reason}). "
        f"Customer wrote: {run.state.get('text', '')[:300]}"
    )
    ticket = run.ticket
    if ticket is None:
        ticket = await run.context.tools.call(
            "tickets.create", category="support", priority="normal", summary=summary
        )
    told = await hand_over(run.context, reason=f"workflow:{reason}", summary=summary, ticket=ticket)
    run.say(told or _(WAITING_REPLY).format(ticket=ticket.number))
    run.handed_over = "handoff.request" in run.context.tools.calls
    run.outcome = "unresolved"


async def _failed(run: Run, why: str) -> None:
    """The default for a failed step: an apology, a ticket and the offer of a person."""
    log.warning("workflow.step_failed", workflow=run.frame.get("name"), error=why[:500])
    summary = f"{why}. Customer wrote: {run.state.get('text', '')[:300]}"
    ticket = await run.context.tools.call(
        "tickets.create", category="support", priority="normal", summary=summary[:1000]
    )
    run.say(_(ERROR_REPLY).format(ticket=ticket.number), _(TALK_TO_PERSON))
    run.outcome = "unresolved"


def _capped(variables: dict[str, Any]) -> dict[str, Any]:
    """Variables as checkpointed: any that would make the frame large are dropped."""
    kept: dict[str, Any] = {}
    size = 0
    for key, item in variables.items():
        size += len(json.dumps(item, default=str))
        if size > VARIABLES_MAX_CHARS:
            break
        kept[key] = item
    return kept
