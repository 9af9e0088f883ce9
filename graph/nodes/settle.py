"""settle: after each workflow step, keep the stack honest and decide what comes next.

A workflow that did not ask for anything is done and leaves the stack (kept as
`last_frame` for corrections). A queued second request starts now, announced. A workflow
that was waiting before a digression asks its question again ("Back to your order: …").
A conversation the customer closed after being served, with nothing open, is resolved
(`conversation.resolve`: webhooks hear of it) and gets the satisfaction question once,
where the policy asks it on this channel.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _, pick
from graph.nodes.route import Step, step_for
from graph.replies import reply
from graph.routes import to_workflow
from graph.slots import RATINGS, choice_label
from graph.stack import replace_top, top
from graph.state import ConversationState, Frame, Reply

MAX_STEPS = 4
"""Workflow steps in one turn (a request, a queued one, and slack): never a loop."""
ENDS_EVERYTHING = ("handoff", "cancel")
MAX_PAUSED = 10
"""Workflows waiting for staff's approval at once (the oldest is dropped beyond it)."""


def _append(replies: list[Reply], text: str) -> list[Reply]:
    """Add a sentence to the last reply rather than sending one more message."""
    if not replies:
        return [reply(text)]
    last = replies[-1]
    return [
        *replies[:-1],
        Reply(text=f"{last['text']}\n\n{text}", quick_replies=last["quick_replies"]),
    ]


def _resume(frame: Frame, runtime: Runtime[TurnContext]) -> Reply:
    workflow = runtime.context.policy.workflows[frame["name"]]
    slot = workflow.slots[frame["asking"]]
    asked = pick(slot.prompt)
    prompt = asked[:1].lower() + asked[1:]
    labels = [choice_label(slot, c) for c in frame.get("choices") or []]
    back = _("Back to {topic}: {question}")
    return reply(
        back.format(topic=frame.get("topic") or pick(workflow.label), question=prompt), *labels
    )


async def settle(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    step = state.get("step", "")
    steps = state.get("steps", 0) + 1
    stack: list[Frame] = list(state.get("stack") or [])
    replies = list(state.get("replies") or [])
    update: dict[str, Any] = {"steps": steps, "go": "respond"}
    if step in ENDS_EVERYTHING:
        stack = []
    frame = top(stack)
    if frame is not None and frame.get("name") == step and not frame.get("queued"):
        if frame.get("asking"):
            below = stack[-2] if len(stack) > 1 else None
            if below is not None and below.get("queued") and steps == 1:
                after = _("After that, I'll look at {topic}.").format(topic=below.get("topic"))
                replies = _append(replies, after)
            aside = _aside_step(state, runtime, step, steps)
            if aside is not None:  # answered now, then "Back to …" asks again
                return {**update, "stack": stack, "replies": replies, "go": aside}
            return {**update, "stack": stack, "replies": replies}
        stack = stack[:-1]
        if frame.get("approval"):  # waits for staff: off the stack, the conversation goes on
            update["paused"] = [*(state.get("paused") or []), frame][-MAX_PAUSED:]
        else:
            update["last_frame"] = frame
            update["last_asked"] = bool(replies) and replies[-1]["text"].rstrip().endswith("?")
            if frame.get("outcome") != "unresolved":  # `end: unresolved` served nobody
                update["served"] = True
    frame = top(stack)
    if frame is not None and frame.get("queued") and steps < MAX_STEPS:
        started: Frame = {**frame, "queued": False}  # type: ignore[typeddict-item]
        if replies:
            replies = _append(
                replies, _("I'll look at {topic} next.").format(topic=frame.get("topic"))
            )
        go: Step = step_for(to_workflow(frame["name"]), runtime.context.policy)
        return {**update, "stack": replace_top(stack, started), "replies": replies, "go": go}
    if frame is not None and frame.get("asking") and frame.get("name") != step:
        replies.append(_resume(frame, runtime))
    update.update(stack=stack, replies=replies)
    aside = _aside_step(state, runtime, step, steps)
    if aside is not None:
        return {**update, "go": aside}
    update["aside"] = ""
    if not stack:
        update["did"] = []
        served = bool(update.get("served") or state.get("served"))
        if state.get("closing") and served:  # a goodbye after being helped: resolved
            await runtime.context.tools.call("conversation.resolve")
            update["served"] = False  # a second "thanks" resolves nothing new
        if _asks_csat(state, runtime, served=served):
            # In the goodbye's own message: one turn, one reply, with the ratings as buttons.
            question = pick(runtime.context.policy.csat.question)
            replies = _append(replies, question)
            replies[-1] = Reply(text=replies[-1]["text"], quick_replies=list(RATINGS))
            update["replies"] = replies
            update["csat"] = "asked"
    return update


def _aside_step(
    state: ConversationState, runtime: Runtime[TurnContext], step: str, steps: int
) -> Step | None:
    """Where the question asked beside the request goes after the workflow: the help
    centre, then the model (where one is configured) if the help centre had no answer
    (faq keeps the question then); None once it is answered or cannot be."""
    if not state.get("aside") or steps >= MAX_STEPS or step in ENDS_EVERYTHING:
        return None
    if step not in ("faq", "agent"):
        return "faq"
    if step == "faq" and runtime.context.llm is not None and not state.get("budget_spent"):
        return "agent"
    return None


def _asks_csat(state: ConversationState, runtime: Runtime[TurnContext], *, served: bool) -> bool:
    policy = runtime.context.policy.csat
    return (
        bool(state.get("closing"))
        and served
        and not state.get("csat")
        and policy.asks_on(state.get("channel", ""))
    )
