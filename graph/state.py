"""Graph state: small on purpose. Ids and this turn's decisions, never the transcript
(that lives in the messages table), so a checkpoint stays the same size every turn."""

from __future__ import annotations

from typing import Any, TypedDict

from graph.entities import Entities


class Reply(TypedDict):
    text: str
    quick_replies: list[str]


class Frame(TypedDict, total=False):
    """One active workflow on the stack: its name and the details gathered so far."""

    name: str
    """The workflow node (`order_status`)."""
    slots: dict[str, str]
    """Details filled so far (`{"order_number": "1042"}`)."""
    asking: str
    """The slot this workflow waits for; empty while it is not waiting."""
    attempts: int
    """Invalid answers to the current question."""
    choices: list[str]
    """Values offered as quick replies with the last question ("the other one")."""
    choice_words: dict[str, str]
    """What each offered value is, in words from the workflow's own data ("Coffee
    grinder" for order 2001), so "the one with the grinder" picks it."""
    queued: bool
    """Said in the same message as another request; starts when that one is done."""
    topic: str
    """How to name it to the customer ("the double charge")."""
    pc: int
    """A written workflow: the step it waits at (an index into its compiled program)."""
    vars: dict[str, Any]
    """A written workflow's `as` and `set` variables (size-capped)."""
    outcome: str
    """A written workflow's end: "resolved", "unresolved", or "" while it runs."""
    wrote: bool
    """A written workflow changed something (a ticket, a write or approval, a note to staff,
    a handoff): a follow-up hears where it stands and never runs it twice."""
    approval: int
    """A written workflow paused at a sensitive `call`: the approval it waits for (0: none).
    It resumes at its next step when staff decide, whatever the customer said meanwhile."""


class Confirming(TypedDict):
    """A writing workflow guessed with too little confidence, waiting for a yes."""

    workflow: str
    intent: str
    text: str
    """The customer's request, for the workflow once confirmed."""
    entities: Entities


class ConversationState(TypedDict, total=False):
    message_id: int
    """The inbound message this turn answers (input)."""
    text: str
    """The customer's text (input)."""
    channel: str
    """The channel the message came from (input); nodes branch on it only for wording."""
    language: str
    """The conversation's language after this message (input, graph/language.py): every
    reply of the turn is worded in it (graph/i18n.py)."""
    decision: dict[str, Any] | None
    """Input instead of a message: staff decided the approval a paused workflow waits for
    (`{"approval_id", "outcome", "approved", "decided_by", "result", "error"}`)."""
    intent: str | None
    """Intent decided this turn."""
    confidence: float
    """Classifier confidence of `intent`, 0..1."""
    entities: Entities
    """Entities found in this turn's text."""
    classified_by: str
    """`local` (the intent model), `entities` (its hesitant guess confirmed by a flag the
    intent's workflow is about) or `llm` (the structured fallback call)."""
    act: str
    """What the message does (graph/acts.py): `question`, `request`, `cancel`, `close`,
    `follow_up`, or "" when none is likely enough."""
    act_confidence: float
    """How likely `act` is, 0..1."""
    asked_about: str
    """The task workflow a question was about when it went to the help centre instead: if
    the help centre has no answer, the bot offers to run it."""
    aside: str
    """A question asked beside the request a workflow handles ("Where is order 1042? And
    do you ship to Norway?"): answered after it, by the help centre, else by the model
    where one is configured."""
    direct_reply: str
    """The classification call's own reply to small talk or an off-topic line ("" if none)."""
    llm_failed: bool
    """The model failed this turn; later nodes must not count on it."""
    budget_spent: bool
    """The token budget ran out this turn: the customer is told and handed to a person."""
    route: str
    """Where this turn went: `workflow:<name>`, `agent` or `human`."""
    replies: list[Reply]
    """What this turn says to the customer; replaced every turn."""
    clarify_attempts: int
    """Consecutive turns we could not understand; reset by any understood turn."""
    handled_message_id: int
    """The last message fully answered; a resumed turn for it is not run twice."""
    stack: list[Frame]
    """Active workflows, the one talking to the customer last. Survives restarts."""
    paused: list[Frame]
    """Written workflows waiting for staff's decision on an approval: off the stack, so
    the conversation goes on; a decision puts its workflow back on top (route)."""
    last_frame: Frame | None
    """The workflow finished most recently, kept so "sorry, I meant 1038" can re-run it."""
    last_turn_at: float
    """Epoch seconds of the last answered turn: a waiting workflow older than the policy's
    idle time is dropped."""
    last_asked: bool
    """The last finished workflow's reply ended on a question ("Did you mean a different
    order?"): the next message may be its answer."""
    did: list[str]
    """What the active workflows already did (tickets, approvals), named on cancel."""
    go: str
    """The node to run next this turn (set by route and settle)."""
    step: str
    """The node that ran last this turn (settle reads it)."""
    steps: int
    """Workflow steps run this turn; bounds the settle loop."""
    served: bool
    """A task workflow finished in this conversation: a later goodbye may ask for CSAT."""
    csat: str
    """Satisfaction question: "" (not asked), "asked", "comment" or "done"."""
    confirming: Confirming | None
    """The bot asked "Is this about your payment?": the next message answers it."""
    closing: bool
    """The customer ended the conversation this turn ("thanks, that's all")."""
