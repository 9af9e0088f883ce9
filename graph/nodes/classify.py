"""classify: the local intent model and pattern entities (no network, well under 1 ms);
one structured LLM call only when the local model is unsure and a model is configured."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from graph.acts import act_of
from graph.context import TurnContext
from graph.entities import extract_entities, with_order_words
from graph.i18n import language
from graph.intents.classifier import IntentPrediction
from graph.language import language_name
from graph.llm import BudgetExceeded, LLMUnavailable
from graph.nodes.route import answers_waiting_question
from graph.pii import redact
from graph.policy import Policy
from graph.prompts import CLASSIFY_SYSTEM
from graph.routes import target_of
from graph.state import ConversationState

KNOWN_FLAGS = {"failed_payment", "double_charge", "urgent", "refund", "asks_for_person"}
#: How much of the classifier's threshold a guess needs for the message's own facts to
#: confirm it (`_backed_by_entities`).
BACKED_SHARE = 0.5


class MessageAnalysis(BaseModel):
    """The customer message's intent, flags, urgency and sentiment."""

    intent: str = Field(description="one of the listed intents, or other")
    flags: list[str] = Field(default_factory=list)
    urgency: Literal["low", "normal", "high"] = "normal"
    sentiment: Literal["negative", "neutral", "positive"] = "neutral"
    needs_account: bool = Field(
        default=False,
        description="true when answering needs the customer's own orders, payments, "
        "deliveries or account; then reply stays null",
    )
    reply: str | None = Field(
        default=None,
        description="only when intent is other and the message is small talk, thanks, a "
        "greeting or off-topic (needs no account data and no tools): a short friendly reply "
        "in the customer's language; otherwise null",
    )


def _backed_by_entities(policy: Policy, intent: str, confidence: float, flags: list[str]) -> bool:
    """A hesitant guess the message's facts confirm: "hey so i got billed 2x??" is only
    half like the billing examples, but it holds a double charge, which the guessed
    intent's workflow names as what it is about (its `topics`)."""
    if confidence < policy.classifier.threshold * BACKED_SHARE or intent not in policy.intents:
        return False
    workflow = policy.workflows.get(target_of(policy.route_for(intent)))
    return workflow is not None and any(flag in workflow.topics for flag in flags)


def _read(context: TurnContext, text: str) -> tuple[IntentPrediction, tuple[str | None, float]]:
    """The intent and the act of `text`, in one trip to a worker thread."""
    readings = context.readings
    prediction = readings.predict(context.classifier, with_order_words(text))
    return prediction, act_of(context.acts, text, readings)


async def classify(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    text = state.get("text", "")
    # In a thread: an unsure message runs the MiniLM encoder (~20 ms), which releases the
    # GIL, so other conversations' turns keep running on the event loop meanwhile.
    prediction, (act, act_confidence) = await asyncio.to_thread(_read, context, text)
    entities = extract_entities(text)
    update: dict[str, Any] = {
        "intent": prediction.intent,
        "confidence": round(prediction.confidence, 4),
        "entities": entities,
        "classified_by": "local",
        "act": act or "",
        "act_confidence": act_confidence,
        "asked_about": "",
        "aside": "",
    }
    if prediction.confidence < context.policy.classifier.threshold and _backed_by_entities(
        context.policy, prediction.intent, prediction.confidence, entities.get("flags", [])
    ):
        update["classified_by"] = "entities"
    if (
        prediction.confidence >= context.policy.classifier.threshold
        or update["classified_by"] == "entities"
        or context.llm is None
    ):
        return update
    if answers_waiting_question(state, context.policy):
        return update  # an answer to our own question: no model call needed
    intents = "\n".join(
        f"- {name}: {intent.description or intent.examples[0]}"
        for name, intent in context.policy.intents.items()
    )
    prompt = CLASSIFY_SYSTEM.format(
        company=context.company, intents=intents, language=language_name(language())
    )
    pii_regions = context.policy.pii.phone_regions  # the model never sees personal data
    try:
        analysis: MessageAnalysis = await context.llm.structured(
            "classify",
            MessageAnalysis,
            [SystemMessage(prompt), HumanMessage(redact(text, regions=pii_regions).text)],
        )
    except BudgetExceeded:
        return {**update, "llm_failed": True, "budget_spent": True}
    except LLMUnavailable:
        return {**update, "llm_failed": True}
    flags = set(entities.get("flags", [])) | (set(analysis.flags) & KNOWN_FLAGS)
    if analysis.urgency == "high":
        flags.add("urgent")
    if analysis.sentiment == "negative":
        flags.add("negative_sentiment")
    intent = analysis.intent if analysis.intent in context.policy.intents else "other"
    # Small talk and off-topic lines are answered by this same call: one model call for
    # the turn instead of three (this one, then the agent's two).
    # A question about the customer's own account is never small talk, whatever the model
    # wrote as a reply: the agent looks it up.
    chat = intent == "other" and not analysis.needs_account
    direct = (analysis.reply or "").strip() if chat else ""
    return {
        **update,
        "intent": intent,
        "entities": {**entities, "flags": sorted(flags)},
        "classified_by": "llm",
        "direct_reply": direct,
    }
