"""Per-turn runtime context: what nodes use but the checkpoint must not store."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from graph.intents import IntentClassifier
from graph.intents.classifier import IntentPrediction
from graph.llm import LLMClient
from graph.policy import Policy
from tools.base import ToolBox


@dataclass
class TurnTrace:
    """Filled while the graph runs; written to the `traces` table with the turn."""

    node_path: list[str] = field(default_factory=list)
    node_ms: dict[str, float] = field(default_factory=dict)
    approvals: list[int] = field(default_factory=list)
    """Approvals requested this turn; the engine starts waiting on each after commit."""
    steps: list[str] = field(default_factory=list)
    """Written workflows' steps taken this turn (`billing_issue:steps[2].then[0]`)."""

    def record(self, node: str, elapsed_ms: float) -> None:
        self.node_path.append(node)
        self.node_ms[node] = round(self.node_ms.get(node, 0.0) + elapsed_ms, 3)


@dataclass
class Readings:
    """A turn's classifications by text: classify and route's per-sentence checks
    (`second_request`, `question_aside`, `_also_requests`) ask the intent and act models
    about the same texts, and each model reads a text once a turn, the two sharing its
    sentence vector. Per turn only: the models are replaced by a retrain."""

    predictions: dict[tuple[int, str], IntentPrediction] = field(default_factory=dict)
    encodings: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def predict(self, model: IntentClassifier, text: str) -> IntentPrediction:
        key = (id(model), text)
        found = self.predictions.get(key)
        if found is None:
            found = self.predictions[key] = model.predict(text, self.encodings)
        return found


@dataclass
class TurnContext:
    policy: Policy
    classifier: IntentClassifier
    tools: ToolBox
    acts: IntentClassifier | None = None
    """What a message does (graph/acts.py); None reads acts from the fixed patterns only."""
    company: str = "Acme"
    customer_name: str | None = None
    customer_vip: bool = False
    max_chars: int = 4000
    customer_email: str | None = None
    llm: LLMClient | None = None
    """The model for this turn, or None when no LLM is configured."""
    trace: TurnTrace = field(default_factory=TurnTrace)
    readings: Readings = field(default_factory=Readings)
    tool_outputs: list[str] = field(default_factory=list)
    """What tools returned to the agent this turn: the only facts its reply may state."""
    clock: Callable[[], float] = time.time
    """Now, in epoch seconds: idle expiry reads it, tests move it."""
    staff_reachable: Callable[[], Awaitable[bool]] | None = None
    """Whether anyone can answer a handoff (a staff channel or a staff account); None:
    assume so (the graph tests and scenario runs have no deployment to ask)."""
    public_url: str = ""
    """Where this server is reached: help-centre links resolve against it by default."""
