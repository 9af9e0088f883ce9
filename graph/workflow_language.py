"""The workflow language: the steps a support team writes under `workflows.<name>.steps`
in the policy file, checked when the policy loads and compiled into a flat program that
the workflow runner (graph/nodes/workflow.py) walks.

A program is a list of instructions. `if` becomes a branch and a jump; a call's
`on_error` is a block placed out of line that the call jumps to when it fails, and that
ends the workflow. A frame on the stack stores its position as an index into the program
and the `as` variables, so a restart resumes exactly where the conversation stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

Template = str
"""Jinja2 text: "Order {{ order.number }} ..."; a value that is one `{{ expression }}`
keeps the expression's type (a number stays a number)."""


def _one_or_per_language(value: Any) -> Any:
    """One error naming the key, not one per member of the union."""
    if isinstance(value, str) or (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    ):
        return value
    raise ValueError("expected a text, or one text per language code ({en: ..., es: ...})")


Wording = Annotated[Template | dict[str, Template], BeforeValidator(_one_or_per_language)]
"""A text the customer reads: one template, or one per language code (`{en: ..., es:
...}`), said in the conversation's language, else the policy's `language`."""


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Ask(_Step):
    """Wait for a slot, unless it is already known."""

    ask: str
    choices: str | None = None
    """An expression for the values offered as quick replies (else the slot's `choices`)."""


class Reask(_Step):
    """The slot's value was not right: clear it, count an attempt, ask again (with a hint)
    where the workflow first asked for it. After the slot's `max_attempts`, offer a person."""

    reask: str
    hint: Wording = ""
    choices: str | None = None


class Fill(_Step):
    """Give slots values the workflow worked out ("the only order on its way"), so a later
    "sorry, I meant 1038" corrects them."""

    fill: dict[str, str]
    """Slot name → expression."""


class Offer(_Step):
    """Remember the alternatives shown (an expression for a list of slot values), so "no,
    the other one" after the answer picks among them."""

    offer: str


class Call(_Step):
    """Run a registered tool for the verified customer. A sensitive one becomes an approval
    request and the workflow pauses: it resumes at the next step once staff decide, its
    variable `{"outcome": "approved" | "denied" | "failed", "approved", "decided_by",
    "result", "error"}`."""

    call: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    as_: str | None = Field(default=None, alias="as")
    summary: Template | None = None
    """For a sensitive tool: what staff read on the approval request."""
    waiting: Wording | None = None
    """For a sensitive tool: what the customer is told while staff decide."""
    on_error: list[Step] | None = None
    """Runs when the tool fails, then the workflow ends. Unset: an apology, a ticket and
    the offer of a person."""


class If(_Step):
    if_: str = Field(alias="if")
    then: list[Step]
    else_: list[Step] = Field(default_factory=list, alias="else")


class Say(_Step):
    reply: Wording
    quick_replies: list[Wording] = Field(default_factory=list)
    quick_replies_from: str | None = None
    """A slot: the values last offered for it (`offer`) become quick replies, labelled as
    the slot's choices are ("Order #1038")."""


class TicketFields(_Step):
    category: Template = "support"
    priority: Template = "normal"
    summary: Template
    amount_cents: Template | int | None = None
    currency: Template | None = None
    dedupe_key: Template | None = None
    """Tickets with the same key are one ticket: its variable says `created: false`."""


class Ticket(_Step):
    ticket: TicketFields
    as_: str | None = Field(default=None, alias="as")


class Notify(_Step):
    """A staff notice (Slack, the console), about the last ticket this workflow opened."""

    notify: Template


class HandoffFields(_Step):
    reason: Template = "workflow"
    summary: Template | None = None


class Handoff(_Step):
    """A person takes over: a ticket unless one was opened, human mode, a staff notice."""

    handoff: HandoffFields = Field(default_factory=HandoffFields)


class Set(_Step):
    set: dict[str, str]
    """Variables from expressions; each may read the others (they are evaluated in the
    order their names need)."""


class AgentFields(_Step):
    goal: Template
    """What the model is asked to do, for this customer ("Explain the charges on ...")."""
    tools: list[str] = Field(default_factory=list)
    """The only tools it may call (public ones alone for an unverified visitor)."""
    max_steps: int = Field(default=4, ge=1, le=10)


class Agent(_Step):
    """A bounded model step with the agent's guards and budgets; its checked answer is
    said to the customer and kept `as` `{answer: ...}`. `else` runs when there is no
    model, it fails, the budget is spent or its answer fails the checks, then the
    workflow ends (unset: the offer of a person)."""

    agent: AgentFields
    as_: str | None = Field(default=None, alias="as")
    else_: list[Step] | None = Field(default=None, alias="else")


class End(_Step):
    end: Literal["resolved", "unresolved"]


STEP_KINDS = (
    "ask",
    "reask",
    "call",
    "if",
    "reply",
    "ticket",
    "notify",
    "handoff",
    "set",
    "fill",
    "offer",
    "agent",
    "end",
)


def _kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if not isinstance(value, dict):
        return None
    found = [kind for kind in STEP_KINDS if kind in value]
    return found[0] if len(found) == 1 else None


Step = Annotated[
    Annotated[Ask, Tag("ask")]
    | Annotated[Reask, Tag("reask")]
    | Annotated[Call, Tag("call")]
    | Annotated[If, Tag("if")]
    | Annotated[Say, Tag("reply")]
    | Annotated[Ticket, Tag("ticket")]
    | Annotated[Notify, Tag("notify")]
    | Annotated[Handoff, Tag("handoff")]
    | Annotated[Set, Tag("set")]
    | Annotated[Fill, Tag("fill")]
    | Annotated[Offer, Tag("offer")]
    | Annotated[Agent, Tag("agent")]
    | Annotated[End, Tag("end")],
    Discriminator(
        _kind,
        custom_error_type="step_kind",
        custom_error_message=f"a step needs exactly one of: {', '.join(STEP_KINDS)}",
    ),
]
for _model in (Call, If, Agent):
    _model.model_rebuild()


@dataclass(frozen=True)
class Instruction:
    label: str
    """Where it is written: `steps[2].else[0]` (what traces show)."""
    kind: str
    step: _Step | None = None
    target: int | None = None
    """`if`: where to go when false; `jump`: where to go; `call`: its `on_error` block."""


def compile_steps(steps: list[Any]) -> list[Instruction]:
    program: list[Instruction] = []

    def patch(index: int, target: int) -> None:
        program[index] = Instruction(
            program[index].label, program[index].kind, program[index].step, target
        )

    def emit(block: list[Any], path: str) -> None:
        for position, step in enumerate(block):
            label = f"{path}[{position}]"
            if isinstance(step, If):
                branch = len(program)
                program.append(Instruction(label, "if", step))
                emit(step.then, f"{label}.then")
                if step.else_:
                    skip = len(program)
                    program.append(Instruction(label, "jump"))
                    patch(branch, len(program))
                    emit(step.else_, f"{label}.else")
                    patch(skip, len(program))
                else:
                    patch(branch, len(program))
            elif (handler := _handler(step)) is not None:
                kind, block = handler
                start = len(program)
                program.append(Instruction(label, _kind(step) or "end", step))
                skip = len(program)
                program.append(Instruction(label, "jump"))
                patch(start, len(program))
                emit(block, f"{label}.{kind}")
                program.append(Instruction(f"{label}.{kind}", "end", End(end="unresolved")))
                patch(skip, len(program))
            else:
                program.append(Instruction(label, _kind(step) or "end", step))

    emit(steps, "steps")
    return program


def _handler(step: Any) -> tuple[str, list[Any]] | None:
    """A step's out-of-line block for when it fails: a call's `on_error`, an agent's
    `else`."""
    if isinstance(step, Call) and step.on_error:
        return "on_error", step.on_error
    if isinstance(step, Agent) and step.else_:
        return "else", step.else_
    return None


def walk(steps: list[Any], path: str = "steps") -> list[tuple[str, Any]]:
    """Every step with its path, nested blocks included (for checks and drawings)."""
    found: list[tuple[str, Any]] = []
    for position, step in enumerate(steps):
        label = f"{path}[{position}]"
        found.append((label, step))
        if isinstance(step, If):
            found += walk(step.then, f"{label}.then") + walk(step.else_, f"{label}.else")
        if (handler := _handler(step)) is not None:
            found += walk(handler[1], f"{label}.{handler[0]}")
    return found
