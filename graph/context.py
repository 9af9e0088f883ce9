"""Per-turn runtime context: what nodes use but the checkpoint must not store."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.intents import IntentClassifier
from graph.policy import Policy
from tools.base import ToolBox


@dataclass
class TurnTrace:
    """Filled while the graph runs; written to the `traces` table with the turn."""

    node_path: list[str] = field(default_factory=list)
    node_ms: dict[str, float] = field(default_factory=dict)

    def record(self, node: str, elapsed_ms: float) -> None:
        self.node_path.append(node)
        self.node_ms[node] = round(self.node_ms.get(node, 0.0) + elapsed_ms, 3)


@dataclass
class TurnContext:
    policy: Policy
    classifier: IntentClassifier
    tools: ToolBox
    company: str = "Acme"
    customer_name: str | None = None
    customer_vip: bool = False
    max_chars: int = 4000
    trace: TurnTrace = field(default_factory=TurnTrace)
