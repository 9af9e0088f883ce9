"""The workflow stack: which requests are open, in which order, waiting for what.

It lives in the graph state (checkpointed every turn), so a restart resumes exactly where
the conversation stopped. Frames hold only names, slot values and short choice lists.
Functions here are pure: they return new lists and never change their arguments.
"""

from __future__ import annotations

from typing import Any

from graph.entities import Entities, only_number
from graph.i18n import pick
from graph.policy import Policy
from graph.state import ConversationState, Frame


def top(stack: list[Frame]) -> Frame | None:
    return stack[-1] if stack else None


def replace_top(stack: list[Frame], frame: Frame) -> list[Frame]:
    return [*stack[:-1], frame] if stack else [frame]


def new_frame(
    policy: Policy,
    name: str,
    entities: Entities | None = None,
    *,
    queued: bool = False,
    text: str = "",
) -> Frame:
    """A frame for workflow `name`, its slots filled from what the message already says."""
    slots: dict[str, str] = {}
    workflow = policy.workflows.get(name)
    order_ids = (entities or {}).get("order_ids") or []
    if not order_ids and entities is not None and (number := only_number(text, entities)):
        order_ids = [number]  # a request for an order that holds one number names it
    if workflow is not None:
        for slot_name, slot in workflow.slots.items():
            if slot.kind == "order_number" and order_ids:
                slots[slot_name] = order_ids[0]
            elif slot.from_request and (found := slot.value_in(text)) is not None:
                slots[slot_name] = found  # "no internet at SW1A 1AA": no need to ask
    return Frame(
        name=name,
        slots=slots,
        asking="",
        attempts=0,
        choices=[],
        queued=queued,
        topic=topic(policy, name, entities),
    )


def topic(policy: Policy, name: str, entities: Entities | None = None) -> str:
    """How the bot names a request: from what the customer said where it can."""
    flags = (entities or {}).get("flags") or []
    workflow = policy.workflows.get(name)
    if workflow is None:
        return name.replace("_", " ")
    for flag, named in workflow.topics.items():
        if flag in flags:
            return pick(named)
    return pick(workflow.label)


def push(stack: list[Frame], frame: Frame, max_depth: int) -> list[Frame]:
    """Put `frame` on top; the oldest frames fall off beyond `max_depth`."""
    return [*stack, frame][-max_depth:]


def is_frame_workflow(policy: Policy, name: str) -> bool:
    """Workflows with a policy entry stay on the stack until done; the rest (faq,
    greeting, clarify, agent, ...) answer in one step and never wait."""
    return name in policy.workflows


def waiting(state: ConversationState) -> Frame | None:
    """The frame waiting for an answer from the customer, if any."""
    frame = top(state.get("stack") or [])
    return frame if frame and frame.get("asking") else None


def view(state: ConversationState | dict[str, Any]) -> dict[str, Any]:
    """What a trace records about the stack after a turn (names, no values)."""
    stack: list[Frame] = list(state.get("stack") or [])
    frame = top(stack)
    return {
        "active": frame.get("name") if frame else None,
        "asks_for": (frame.get("asking") or None) if frame else None,
        "stack": [f.get("name", "") for f in stack],
        "paused": [f.get("name", "") for f in state.get("paused") or []],
        "csat": state.get("csat") or None,
    }
