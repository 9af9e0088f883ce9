"""route: decide what this message is for, given what the conversation is in the middle of.

In order: an expired wait is dropped (and the customer told); "never mind" leaves the open
workflows; a rating answers the satisfaction question; an answer fills the slot the top
workflow waits for; another request is a digression (answered, then the workflow resumes)
or, when the policy says it is more urgent, a takeover; "sorry, I meant 1038" re-runs the
workflow that just finished with the corrected detail; anything else is routed by intent,
two requests in one message each get a workflow, the second announced.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from langgraph.runtime import Runtime

from graph import slots
from graph.acts import QUESTION_SURE, act_of
from graph.context import TurnContext
from graph.entities import Entities, extract_entities
from graph.i18n import N_, _, pick
from graph.nodes.follow_up import ticket_of
from graph.policy import Policy
from graph.replies import NO, YES, reply
from graph.routes import AGENT, HUMAN, is_workflow_route, target_of, to_workflow
from graph.stack import is_frame_workflow, new_frame, push, replace_top, top
from graph.state import Confirming, ConversationState, Frame, Reply

Step = Literal[
    "faq",
    "follow_up",
    "greeting",
    "smalltalk",
    "clarify",
    "handoff",
    "agent",
    "cancel",
    "csat",
    "workflow",
    "respond",
]
STEPS: tuple[Step, ...] = get_args(Step)
SPLIT_CONFIDENCE = 0.5
_QUESTION = re.compile(
    r"(where|when|what|why|how|which|who|has|have|is|are|did|does|do|can|could|will|would)\b",
    re.I,
)
#: Sentence ends and "also": not the dot of "order no. 1042" (a number follows it).
_CLAUSES = re.compile(r"(?<=[.?!])\s+(?!\d)|\s*[;\n]\s*|,?\s+\b(?:also|and also|plus)\b,?\s+", re.I)


def _unclear(state: ConversationState, runtime: Runtime[TurnContext]) -> str:
    """Nobody is sure what the customer wants: the agent if a model works, else ask."""
    if state.get("budget_spent"):
        return AGENT  # it tells the customer honestly and hands over
    if state.get("direct_reply"):
        return to_workflow("smalltalk")  # the classification call already answered it
    questions = runtime.context.policy.dialogue.questions
    if questions and _clearly_asks(state):
        return questions  # the help centre first; the model (if any) when it has nothing
    if runtime.context.llm is not None and not state.get("llm_failed"):
        return AGENT
    return to_workflow("clarify")


def _names_own_case(entities: Entities) -> bool:
    """The message names the customer's own order or amount: about their case."""
    return bool(entities.get("order_ids") or entities.get("amounts"))


def _clearly_asks(state: ConversationState) -> bool:
    """ "do you charge extra for express delivery to austria": surely a question about how
    things work, whatever it is about, and not about the customer's own order."""
    entities = state.get("entities") or {}
    return (
        state.get("act") == "question"
        and state.get("act_confidence", 0.0) >= QUESTION_SURE
        and not _names_own_case(entities)
    )


def _understood(state: ConversationState, policy: Policy) -> bool:
    return state.get("classified_by") in ("llm", "entities") or (
        state.get("confidence", 0.0) >= policy.classifier.threshold
    )


def decide(state: ConversationState, runtime: Runtime[TurnContext]) -> str:
    """The policy's route for this message alone: `workflow:<name>`, `agent` or `human`."""
    context = runtime.context
    policy = context.policy
    flags = state.get("entities", {}).get("flags", [])
    intent = state.get("intent") or ""
    if "asks_for_person" in flags:
        return HUMAN
    if not _understood(state, policy) or intent not in policy.intents:
        return _unclear(state, runtime)
    decided = policy.route_for(intent)
    escalate = (
        (context.customer_vip and policy.escalation.vip_to_human)
        or ("urgent" in flags and policy.escalation.urgent_to_human)
        or ("negative_sentiment" in flags and policy.llm.negative_sentiment_to_human)
    )
    if escalate:
        decided = HUMAN
    if decided == AGENT:
        decided = _unclear(state, runtime)
    return decided


def workflow_of(decided: str) -> str:
    """The workflow (or system step) a route names: `workflow:faq` → `faq`."""
    return target_of(decided)


def step_for(decided: str, policy: Policy | None = None) -> Step:
    """The node that runs a route: a written workflow runs in the generic `workflow`."""
    if decided == HUMAN:
        return "handoff"
    name = workflow_of(decided)
    if policy is not None and policy.written(name):
        return "workflow"
    for step in STEPS:
        if name == step:
            return step
    return "clarify"


def intent_of(policy: Policy, workflow: str) -> str | None:
    for name, intent in policy.intents.items():
        if intent.route == to_workflow(workflow):
            return name
    return None


def second_request(
    state: ConversationState, runtime: Runtime[TurnContext], first: str
) -> tuple[str, Frame] | None:
    """ "Where is order 1042? Also I was charged twice": each sentence classified alone;
    a second confident task intent becomes a queued frame. Returns (first clause's
    workflow, the queued frame)."""
    policy = runtime.context.policy
    clauses = _clauses(state.get("text", ""))
    if len(clauses) < 2:
        return None
    found: list[tuple[str, str]] = []
    for clause in clauses:
        prediction = runtime.context.readings.predict(runtime.context.classifier, clause)
        if prediction.confidence < max(SPLIT_CONFIDENCE, policy.classifier.threshold):
            continue
        route = policy.route_for(prediction.intent)
        workflow = target_of(route)
        if not policy.is_task(prediction.intent) or not is_frame_workflow(policy, workflow):
            continue
        if workflow not in [w for w, _ in found]:
            found.append((workflow, clause))
    if len(found) < 2 or first not in [w for w, _ in found]:
        return None
    (one, _said), (two, clause) = found[0], found[1]
    return one, new_frame(policy, two, extract_entities(clause), queued=True, text=clause)


#: "hello??", "well??", "so…?": a word or two pressed with more than one question mark.
_CHASE = re.compile(r"\W*(?:[^\W\d_]+\W*){1,2}\?[?!.…]+\W*|\W*[?]{2,}\W*")
#: How a second sentence opens ("Also, do you ship to Norway?"): not part of the question.
_OPENER = re.compile(r"^(?:also|and|plus|btw|by the way|oh and)\b[,:]?\s*", re.I)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(text) if c and len(c.strip()) > 3]


def question_aside(state: ConversationState, runtime: Runtime[TurnContext], workflow: str) -> str:
    """ "I want a refund. How long does it take?": the sentence beside the request that
    asks how something works, which `workflow` does not answer ("" if none). Another
    sentence must carry the request itself, and the question must not be about the
    customer's own order or amount (that is the workflow's)."""
    context = runtime.context
    policy = context.policy
    clauses = _clauses(state.get("text", ""))
    if len(clauses) < 2 or not policy.dialogue.questions or context.acts is None:
        return ""
    requests, questions = [], []
    for clause in clauses:
        act, confidence = act_of(context.acts, clause, context.readings)
        details = extract_entities(clause)
        prediction = context.readings.predict(context.classifier, clause)
        # Sure it asks, or it may ask and the intent model takes it for a help-centre
        # question too ("where can I download my invoice?": 0.54, and faq).
        asks = act == "question" and (
            confidence >= QUESTION_SURE
            or policy.route_for(prediction.intent) == policy.dialogue.questions
        )
        if asks:
            if not _names_own_case(details):
                questions.append(clause)
            continue
        routed = target_of(policy.route_for(prediction.intent)) == workflow
        if act == "request" or (routed and prediction.confidence >= policy.classifier.threshold):
            requests.append(clause)
    return _OPENER.sub("", questions[0]) if requests and questions else ""


def _reask(frame: Frame, runtime: Runtime[TurnContext], hint: str) -> dict[str, Any]:
    policy = runtime.context.policy
    slot = policy.workflows[frame["name"]].slots[frame["asking"]]
    attempts = frame.get("attempts", 0) + 1
    if attempts >= slot.max_attempts:
        return {"drop": True, "reply": slots.give_up(pick(policy.workflows[frame["name"]].label))}
    updated: Frame = {**frame, "attempts": attempts}  # type: ignore[typeddict-item]
    offered = list(frame.get("choices") or [])
    return {"frame": updated, "reply": slots.question(slot, offered, hint=hint)}


async def route(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    policy = context.policy
    text = state.get("text", "")
    stack: list[Frame] = list(state.get("stack") or [])
    last = state.get("last_frame")
    did = list(state.get("did") or [])
    notes: list[Reply] = []
    update: dict[str, Any] = {"steps": 0, "step": "", "closing": False, "last_asked": False}
    decision = state.get("decision")
    if decision:
        return _resume_paused(state, stack, decision, update)

    now = context.clock()
    idle = now - state.get("last_turn_at", now) > policy.dialogue.idle_minutes * 60
    if idle and stack:
        what = top(stack)
        label = what.get("topic") if what else _("your request")
        notes.append(
            reply(
                _(
                    "It's been a while since your last message, so I closed your earlier request "
                    "about {topic}. Let's start fresh."
                ).format(topic=label)
            )
        )
        stack, did, last = [], [], None
    elif idle:
        last = None
    update.update(stack=stack, did=did, last_frame=last, replies=notes)

    def go(step: Step, decided: str, **extra: Any) -> dict[str, Any]:
        return {**update, "go": step, "route": decided, **extra}

    act = state.get("act") or ""
    entities = state.get("entities") or {}
    own_details = _names_own_case(entities)
    # "don't bother, I'll sort it myself" calls off whatever it is worded as; "cancel
    # order 2001" names something to act on, so it is a request. Asked a free-text
    # question ("why are you leaving us?"), "too slow" is the answer: only the words
    # that say stop call it off.
    calls_off = slots.is_cancel(text) or (
        act == "cancel" and not own_details and not _waits_for_text(stack, policy, text)
    )
    if calls_off and (stack or not (slots.is_closing(text) or act == "close")):
        return go("cancel", to_workflow("cancel"))

    csat = state.get("csat") or ""
    if csat == "handoff":  # back from staff: they may have asked for a rating
        csat = "asked" if slots.parse_rating(text) is not None else "done"
        update["csat"] = csat
    if csat in ("asked", "comment") and not stack:
        intent = state.get("intent") or ""
        task = (
            _understood(state, policy) and policy.is_task(intent) and not slots.parse_rating(text)
        )
        if csat == "asked" and slots.parse_rating(text) is not None:
            return go("csat", to_workflow("csat"))
        if csat == "comment" and not task:
            return go("csat", to_workflow("csat"))
        update["csat"] = "done"  # asked once; the customer moved on

    if act == "close" and not stack and not state.get("confirming"):
        return go("greeting", to_workflow("greeting"))  # "perfect, that's everything"

    confirming = state.get("confirming")
    update["confirming"] = None  # asked once: any other answer moves on
    if confirming is not None and slots.is_yes(text):
        return _confirmed(confirming, update, stack, policy)
    if confirming is not None and slots.is_decline(text) and len(text.split()) <= 3:
        notes.append(reply(_(DECLINED_REPLY)))
        return go("respond", to_workflow("clarify"), replies=notes)

    soon = now - state.get("last_turn_at", now) <= policy.dialogue.follow_up_minutes * 60
    follows_up = (
        last is not None and not stack and soon and _follows_up(state, policy, last, own_details)
    )
    if last is not None and follows_up:
        if last.get("wrote") or ticket_of(last.get("vars")) is not None:
            return go("follow_up", to_workflow("follow_up"))
        # Nothing was changed (it only looked something up, or gave advice that did not
        # work): "any update?" looks again at the same case; "still slow" says the
        # request itself again, so it starts afresh below.
        if not _is_task_of(state, policy, last.get("name", "")):
            again = _rerun(last, policy)
            return {
                **update,
                **again,
                "stack": push(stack, again.pop("frame"), policy.dialogue.max_depth),
            }

    waiting = _paused_about(state, policy, stack)
    if waiting is not None:  # "any update on my refund?" while staff decide on it
        return go("follow_up", to_workflow("follow_up"), asked_about=waiting["name"])

    decided = decide(state, runtime)
    frame = top(stack)
    if decided == HUMAN:
        return go("handoff", HUMAN, stack=[])
    if frame is None or not frame.get("asking"):
        question = _question_route(state, policy, decided, own_details)
        if question is not None and not _also_requests(state, runtime):
            return go(step_for(question, policy), question, asked_about=workflow_of(decided))

    if frame is not None and frame.get("asking"):
        target = step_for(decided, policy)
        wanted = workflow_of(decided)
        intent = state.get("intent") or ""
        understood = _understood(state, policy) and intent in policy.intents
        # A weak guess at another intent ("it's the one from last week, 2001") is not
        # another request: the answer is read first.
        elsewhere = (
            understood
            and wanted not in ("clarify", frame["name"])
            and state.get("confidence", 0.0) >= SPLIT_CONFIDENCE
        )
        # "Order #2001" answers "which order is the refund for?"; "has order 2001 shipped
        # yet?" is another question that happens to hold a number, and must not be taken
        # as consent to refund it.
        answered = (
            None
            if elsewhere and not _bare(state.get("text", ""))
            else _answer(state, runtime, frame)
        )
        if answered is not None:
            return {**update, **answered}
        if understood and wanted != "clarify" and wanted != frame["name"]:
            if intent in policy.dialogue.takeover:
                label = frame.get("topic") or _("your request")
                notes.append(
                    reply(
                        _("Let's set {topic} aside and deal with this first.").format(topic=label)
                    )
                )
                stack = []
            elif not is_frame_workflow(policy, wanted):
                return go(target, decided)  # a digression: settle resumes the question
            fresh = new_frame(policy, wanted, state.get("entities"), text=text)
            return go(target, decided, stack=push(stack, fresh, policy.dialogue.max_depth))
        if understood and wanted == frame["name"]:
            return go(target, decided)  # asked again: the workflow asks again
        asked = policy.workflows[frame["name"]].slots[frame["asking"]]
        outcome = _reask(frame, runtime, pick(asked.hint) or _("Sorry, I didn't catch that."))
        # Giving up offers a person; nothing underneath may resume without a question
        # (it would sit on the stack unasked), so the whole stack goes.
        stack = [] if outcome.get("drop") else replace_top(stack, outcome["frame"])
        replies = [*notes, outcome["reply"]]
        return go("respond", to_workflow(frame["name"]), stack=stack, replies=replies)

    if last is not None and not stack and state.get("last_asked"):
        answered_last = _answer_to_last(state, runtime, last)
        if answered_last is not None:
            return {**update, **answered_last}

    if last is not None and slots.is_correction(text):
        corrected = _correct(state, runtime, last)
        if corrected is not None:
            frame = corrected.pop("frame")
            stack = push(stack, frame, policy.dialogue.max_depth)
            return {**update, **corrected, "stack": stack}

    target = step_for(decided, policy)
    wanted = workflow_of(decided)
    if _unsure_side_effects(state, policy, wanted):
        context.trace.record(f"confirm:{wanted}", 0.0)
        if policy.classifier.unsure_side_effects == "handover":
            return go("handoff", HUMAN, stack=[])
        return go(
            "respond",
            to_workflow("confirm"),
            confirming=Confirming(
                workflow=wanted,
                intent=state.get("intent") or "",
                text=text,
                entities=state.get("entities") or {},
            ),
            replies=[*notes, reply(confirm_question(policy, wanted), _(YES), _(NO))],
        )
    if is_frame_workflow(policy, wanted):
        frame = new_frame(policy, wanted, state.get("entities"), text=text)
        extra = second_request(state, runtime, wanted)
        if extra is not None:
            first, queued = extra
            frame = new_frame(policy, first, state.get("entities"), text=text)
            stack = push(stack, queued, policy.dialogue.max_depth)
        stack = push(stack, frame, policy.dialogue.max_depth)
        first_route = to_workflow(frame["name"])
        aside = "" if extra is not None else question_aside(state, runtime, wanted)
        return go(step_for(first_route, policy), first_route, stack=stack, aside=aside)
    unclear = not _understood(state, policy) or (state.get("intent") or "") not in policy.intents
    if decided == policy.dialogue.questions and unclear and context.llm is not None:
        # An unclear question the help centre may not answer: settle asks the model then.
        return go(target, decided, aside=text)
    return go(target, decided)


def _waits_for_text(stack: list[Frame], policy: Policy, text: str) -> bool:
    """The top workflow waits for a free-text answer that `text` may be: any words, or
    for a slot with a pattern (a postcode) words holding a value of it ("oh wait it's
    back now, don't worry" holds no postcode: it may call the question off)."""
    frame = top(stack)
    if frame is None or not frame.get("asking"):
        return False
    slot = policy.workflows[frame["name"]].slots[frame["asking"]]
    return slot.kind == "text" and (slot.pattern is None or slot.value_in(text) is not None)


def _clear_task(state: ConversationState, policy: Policy) -> str | None:
    """The workflow the message clearly asks for, if it asks for a task."""
    intent = state.get("intent") or ""
    clear = (
        _understood(state, policy)
        and policy.is_task(intent)
        and state.get("confidence", 0.0) >= SPLIT_CONFIDENCE
    )
    return workflow_of(policy.route_for(intent)) if clear else None


def _another_task(state: ConversationState, policy: Policy, workflow: str) -> bool:
    """The message clearly asks for a task other than `workflow`."""
    return _clear_task(state, policy) not in (None, workflow)


def _is_task_of(state: ConversationState, policy: Policy, workflow: str) -> bool:
    """The message clearly asks for `workflow` itself."""
    return _clear_task(state, policy) == workflow


def _follows_up(state: ConversationState, policy: Policy, last: Frame, own_details: bool) -> bool:
    """ "Any update?" right after a request: about that request, unless it clearly asks
    for something else or names another order."""
    flags = (state.get("entities") or {}).get("flags") or []
    if not _chasing(state) or "asks_for_person" in flags:
        return False
    other = _another_task(state, policy, last.get("name", ""))
    named = (state.get("entities") or {}).get("order_ids") or []
    known = set((last.get("slots") or {}).values())
    return not other and not (own_details and not set(named) <= known)


def _also_requests(state: ConversationState, runtime: Runtime[TurnContext]) -> bool:
    """ "I want a refund. How long does it take?": a question beside a request is an
    aside (answered after the workflow), not the whole message."""
    acts = runtime.context.acts
    clauses = _clauses(state.get("text", ""))
    if acts is None or len(clauses) < 2:
        return False
    readings = runtime.context.readings
    return any(act_of(acts, clause, readings)[0] == "request" for clause in clauses)


def _chasing(state: ConversationState) -> bool:
    """ "any update?", or a word pressed with question marks ("hello??")."""
    text = state.get("text", "").strip()
    return state.get("act") == "follow_up" or _CHASE.fullmatch(text) is not None


def _paused_about(state: ConversationState, policy: Policy, stack: list[Frame]) -> Frame | None:
    """The request waiting for staff's approval that a follow-up chases, if any: the
    latest one, or the one the message names."""
    paused = list(state.get("paused") or [])
    if stack or not paused or not _chasing(state):
        return None
    task = _clear_task(state, policy)
    return next((f for f in reversed(paused) if task in (None, f.get("name"))), None)


def _question_route(
    state: ConversationState, policy: Policy, decided: str, own_details: bool
) -> str | None:
    """ "How long does a refund take?" is about refunds but asks for none: the policy's
    question route (the help centre) answers it; a question about the customer's own
    order or amount stays a request."""
    questions = policy.dialogue.questions
    if not questions or state.get("act") != "question" or own_details:
        return None
    if state.get("act_confidence", 0.0) < QUESTION_SURE:
        return None
    if not is_workflow_route(decided) or not policy.written(workflow_of(decided)):
        return None
    return questions if questions != decided else None


def _resume_paused(
    state: ConversationState,
    stack: list[Frame],
    decision: dict[str, Any],
    update: dict[str, Any],
) -> dict[str, Any]:
    """Staff decided: the workflow paused for that approval goes back on top of the stack
    and runs on (the customer may be in the middle of something else meanwhile)."""
    paused = list(state.get("paused") or [])
    frame = next((f for f in paused if f.get("approval") == decision.get("approval_id")), None)
    if frame is None:  # not a written workflow's approval: its own reply says it
        return {**update, "go": "respond", "route": "approval:decided"}
    rest = [f for f in paused if f is not frame]
    route = to_workflow(frame["name"])
    return {**update, "go": "workflow", "route": route, "stack": [*stack, frame], "paused": rest}


DECLINED_REPLY = N_("Sorry, I got that wrong. Could you tell me in a few words what you need?")


def confirm_question(policy: Policy, workflow: str) -> str:
    return _("Just to be sure before I open anything: is this about {topic}?").format(
        topic=policy.label_of(workflow)
    )


def _unsure_side_effects(state: ConversationState, policy: Policy, target: str) -> bool:
    """A workflow with side effects, on a model's guess or a weak local one (not one the
    message's own facts confirm)."""
    if policy.classifier.unsure_side_effects == "run" or not policy.writes(target):
        return False
    if state.get("classified_by") == "entities":
        return False
    return (
        state.get("classified_by") == "llm"
        or state.get("confidence", 0.0) < policy.classifier.confirm_below
    )


def _confirmed(
    confirming: Confirming, update: dict[str, Any], stack: list[Frame], policy: Policy
) -> dict[str, Any]:
    """ "Yes": the guessed workflow runs on the request the customer made."""
    workflow = confirming["workflow"]
    entities = confirming["entities"]
    routed = {
        **update,
        "intent": confirming["intent"],
        "entities": entities,
        "text": confirming["text"],
        "route": to_workflow(workflow),
        "go": step_for(to_workflow(workflow), policy),
    }
    if is_frame_workflow(policy, workflow):
        frame = new_frame(policy, workflow, entities, text=confirming["text"])
        routed["stack"] = push(stack, frame, policy.dialogue.max_depth)
    return routed


def answers_waiting_question(state: ConversationState, policy: Policy) -> bool:
    """A short answer ("1038", "the second one") to the question the top workflow asked:
    `route` takes it as that answer whatever its intent, so nobody needs to classify it.
    A yes or no to "is this about your payment?" is one too."""
    text = state.get("text", "")
    if state.get("confirming") and (slots.is_yes(text) or slots.is_decline(text)):
        return True
    frame = top(list(state.get("stack") or []))
    if frame is None or not frame.get("asking"):
        return False
    if not _bare(text):
        return False
    slot = policy.workflows[frame["name"]].slots[frame["asking"]]
    return slots.parse_answer(slot, text, frame, frame["asking"]) is not None


def _bare(text: str) -> bool:
    """A short statement (a value, a label, "it's 1042"), not a question or a request."""
    return len(text.split()) <= 5 and "?" not in text and not _QUESTION.match(text.strip())


def _answer(
    state: ConversationState, runtime: Runtime[TurnContext], frame: Frame
) -> dict[str, Any] | None:
    """The message answers the waiting question: fill the slot and resume the workflow."""
    policy = runtime.context.policy
    name = frame["asking"]
    slot = policy.workflows[frame["name"]].slots[name]
    found = slots.parse_answer(slot, state.get("text", ""), frame, name)
    if found is None:
        return None
    stack = list(state.get("stack") or [])
    found = found.lstrip("#")
    if not slots.valid_format(slot, found):
        outcome = _reask(frame, runtime, pick(slot.hint) or _("That doesn't look right."))
        kept = [] if outcome.get("drop") else replace_top(stack, outcome["frame"])
        return {
            "go": "respond",
            "route": to_workflow(frame["name"]),
            "stack": kept,
            "replies": [outcome["reply"]],
        }
    filled: Frame = {
        **frame,  # type: ignore[typeddict-item]
        "slots": {**(frame.get("slots") or {}), name: found},
        "asking": "",
    }
    return {
        "go": step_for(to_workflow(frame["name"]), policy),
        "route": to_workflow(frame["name"]),
        "intent": intent_of(policy, frame["name"]) or state.get("intent"),
        "stack": replace_top(stack, filled),
    }


def _correct(
    state: ConversationState, runtime: Runtime[TurnContext], last: Frame
) -> dict[str, Any] | None:
    """ "Sorry, I meant 1038" / "no, the other one" after a workflow finished: run it again
    with that detail changed."""
    policy = runtime.context.policy
    workflow = policy.workflows.get(last.get("name", ""))
    if workflow is None:
        return None
    for name, slot in workflow.slots.items():
        found = slots.parse_answer(slot, state.get("text", ""), last, name)
        if found is None:
            continue
        found = found.lstrip("#")
        if found == (last.get("slots") or {}).get(name):
            continue
        return _rerun(last, policy, {name: found})
    return None


def _answer_to_last(
    state: ConversationState, runtime: Runtime[TurnContext], last: Frame
) -> dict[str, Any] | None:
    """The workflow that just finished asked something ("Did you mean a different
    order?"): "1038" or "yes, 1038" runs it again with that; a bare "yes" asks which; a
    "no, that's the one" is thanked. Anything else is read as a new message."""
    policy = runtime.context.policy
    workflow = policy.workflows.get(last.get("name", ""))
    if workflow is None:
        return None
    text = state.get("text", "")
    if _another_task(state, policy, last.get("name", "")):
        return None  # another request that happens to hold a number
    update: dict[str, Any] = {"last_asked": False}
    for name, slot in workflow.slots.items():
        if slot.kind == "text":
            continue  # free text answers anything: only a value it can tell is one
        found = slots.parse_answer(slot, text, last, name)
        if found is not None and found.lstrip("#") != (last.get("slots") or {}).get(name):
            again = _rerun(last, policy, {name: found.lstrip("#")})
            stack = push([], again.pop("frame"), policy.dialogue.max_depth)
            return {**update, **again, "stack": stack}
    if not _bare(text) or slots.is_closing(text) or state.get("act") == "close":
        return None
    if slots.is_decline(text):
        said = reply(_("Good. Is there anything else I can help with?"))
        return {**update, "go": "respond", "route": to_workflow("clarify"), "replies": [said]}
    if slots.is_yes(text) and workflow.slots:
        name, slot = next(iter(workflow.slots.items()))
        frame: Frame = {**_rerun(last, policy)["frame"], "slots": {}, "asking": name}
        return {
            **update,
            "go": "respond",
            "route": to_workflow(last["name"]),
            "stack": [frame],
            "last_frame": None,
            "replies": [slots.question(slot, [])],
        }
    return None


def _rerun(last: Frame, policy: Policy, changed: dict[str, str] | None = None) -> dict[str, Any]:
    """The workflow that just finished, from its first step, with `changed` details."""
    frame: Frame = {
        **last,  # type: ignore[typeddict-item]
        "slots": {**(last.get("slots") or {}), **(changed or {})},
        "asking": "",
        "attempts": 0,
        "queued": False,
        "pc": 0,  # a written workflow runs again from its first step
        "vars": {},
        "wrote": False,
        "outcome": "",
    }
    routed: dict[str, Any] = {
        "go": step_for(to_workflow(last["name"]), policy),
        "route": to_workflow(last["name"]),
        "frame": frame,
        "last_frame": None,
    }
    intent = intent_of(policy, last["name"])
    if intent is not None:
        routed["intent"] = intent
    return routed


def next_step(state: ConversationState) -> Step:
    wanted = state.get("go") or "respond"
    for step in STEPS:
        if wanted == step:
            return step
    return "clarify"
