"""Graph state: small on purpose. Ids and this turn's decisions, never the transcript
(that lives in the messages table), so a checkpoint stays the same size every turn."""

from __future__ import annotations

from typing import TypedDict

from graph.entities import Entities


class Reply(TypedDict):
    text: str
    quick_replies: list[str]


class ConversationState(TypedDict, total=False):
    message_id: int
    """The inbound message this turn answers (input)."""
    text: str
    """The customer's text (input)."""
    channel: str
    """The channel the message came from (input); nodes branch on it only for wording."""
    intent: str | None
    """Intent decided this turn."""
    confidence: float
    """Classifier confidence of `intent`, 0..1."""
    entities: Entities
    """Entities found in this turn's text."""
    classified_by: str
    """`local` (the intent model) or `llm` (the structured fallback call)."""
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
