"""The policy file: intents and their examples, routes, escalation rules, tool risk, budgets.

A site owner changes behaviour here, not in code. Validation errors name the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

WORKFLOWS = (
    "billing_issue",
    "order_status",
    "refund_request",
    "faq",
    "greeting",
    "clarify",
)
Risk = Literal["read", "write", "sensitive"]


class PolicyError(Exception):
    """The policy file is unreadable or invalid; the message names the key."""


class IntentPolicy(BaseModel):
    examples: list[str] = Field(min_length=2)
    route: str
    description: str = ""

    @field_validator("route")
    @classmethod
    def _known_route(cls, route: str) -> str:
        if route in ("agent", "human"):
            return route
        kind, _, name = route.partition(":")
        if kind != "workflow" or name not in WORKFLOWS:
            raise ValueError(f"unknown route {route!r}: use agent, human or workflow:<name>")
        return route


class ClassifierPolicy(BaseModel):
    threshold: float = Field(0.4, ge=0.0, le=1.0)
    model_path: Path | None = None


class EscalationPolicy(BaseModel):
    clarify_attempts_before_handoff: int = Field(2, ge=1)
    vip_to_human: bool = False
    urgent_to_human: bool = False
    handoff_phrases: list[str] = Field(
        default_factory=lambda: ["human", "person", "agent", "representative", "someone real"]
    )


class ToolPolicy(BaseModel):
    risk: Risk = "read"


class BudgetPolicy(BaseModel):
    conversation_tokens: int = Field(20_000, ge=0)
    agent_max_steps: int = Field(6, ge=1)


class ModelPrice(BaseModel):
    prompt_per_million: float = Field(0.0, ge=0)
    completion_per_million: float = Field(0.0, ge=0)


class LLMPolicy(BaseModel):
    """How the optional model is used. Which tools the agent may call is policy, not code."""

    agent_tools: list[str] = Field(
        default_factory=lambda: [
            "tickets.search",
            "tickets.create",
            "payments.list_charges",
            "payments.find_duplicates",
            "payments.refund",
            "orders.get",
            "orders.recent",
            "kb.search",
            "handoff.request",
        ]
    )
    history_messages: int = Field(8, ge=0, le=50)
    max_reply_chars: int = Field(1200, ge=100)
    negative_sentiment_to_human: bool = False
    prices: dict[str, ModelPrice] = Field(default_factory=dict)


PiiAction = Literal["mask", "keep", "drop"]


class PiiPolicy(BaseModel):
    """Personal data in customer messages (graph/pii.py). `store` is what transcripts keep
    per type: mask (a typed placeholder such as [CARD_1]), keep, or drop (removed). What
    reaches a model is always redacted; `entitled` lists the tools that get a type's real
    value back from its placeholder."""

    enabled: bool = True
    store: dict[Literal["card", "iban", "email", "phone", "national_id"], PiiAction] = Field(
        default_factory=lambda: {
            "card": "mask",
            "iban": "mask",
            "email": "keep",  # workflows ask for the account e-mail (slots)
            "phone": "mask",
            "national_id": "mask",
        }
    )
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "NL", "ES", "IT"], min_length=1
    )
    entitled: dict[str, list[str]] = Field(default_factory=dict)


class Policy(BaseModel):
    company: str = "Acme"
    currency: str = "EUR"
    classifier: ClassifierPolicy = Field(default_factory=ClassifierPolicy)
    intents: dict[str, IntentPolicy]
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    tools: dict[str, ToolPolicy] = Field(default_factory=dict)
    approvers: list[str] = Field(default_factory=list)
    budgets: BudgetPolicy = Field(default_factory=BudgetPolicy)
    llm: LLMPolicy = Field(default_factory=LLMPolicy)
    pii: PiiPolicy = Field(default_factory=PiiPolicy)

    @model_validator(mode="after")
    def _enough_intents(self) -> Policy:
        if len(self.intents) < 2:
            raise ValueError("needs at least two intents")
        return self

    def route_for(self, intent: str) -> str:
        entry = self.intents.get(intent)
        return entry.route if entry else "workflow:clarify"

    def training_data(self) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for name, intent in self.intents.items():
            texts.extend(intent.examples)
            labels.extend([name] * len(intent.examples))
        return texts, labels


def load_policy(path: Path) -> Policy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy error: {path}: {exc}") from None
    try:
        return Policy.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise PolicyError(f"policy error: {path}: {key}: {first['msg']}") from None
