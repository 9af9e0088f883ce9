"""classify: the local intent model and pattern entities. No network, well under 1 ms."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.entities import extract_entities
from graph.state import ConversationState


async def classify(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    text = state.get("text", "")
    prediction = runtime.context.classifier.predict(text)
    return {
        "intent": prediction.intent,
        "confidence": round(prediction.confidence, 4),
        "entities": extract_entities(text),
    }
