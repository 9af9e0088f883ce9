"""The scenario file format, as pydantic models: unknown keys are errors, never ignored.

A typo in an expectation (`intnet:`) that was silently skipped would make a scenario pass
for the wrong reason, so every model forbids extra keys and the loader names the key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["webchat", "telegram", "slack"]
ModeName = Literal["bot", "human", "closed"]

# Coarse route kinds a scenario may name; `workflow:<name>` and `guard:<reason>` are exact.
ROUTE_KINDS = ("workflow", "agent", "human", "guard", "error")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """`reply_contains: ticket` is as clear as `[ticket]`; accept both."""
    return [value] if isinstance(value, str) else value


class TicketExpect(_Strict):
    """Fields a ticket of this conversation must have (only those given are compared)."""

    category: str | None = None
    priority: str | None = None
    status: str | None = None
    amount_cents: int | None = None
    currency: str | None = None

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Expect(_Strict):
    """What must be true after a turn. Every key is optional."""

    intent: str | None = None
    """The classified intent (`handoff` also matches the policy's `human_handoff`;
    `clarify` means the bot did not understand and asked)."""
    route: str | None = None
    """`workflow`, `agent`, `human`, or exact: `workflow:faq`, `guard:empty`."""
    entities: list[str] | None = None
    """All must be present in the turn's trace."""
    tools: list[str] | None = None
    """All must have been called this turn."""
    tools_not_called: list[str] | None = None
    """None of these may have been called this turn."""
    ticket: TicketExpect | Literal[False] | None = None
    """A ticket of this conversation with these fields exists; `false`: no ticket at all."""
    reply_contains: list[str] | None = None
    """Case-insensitive substrings of what the customer saw this turn."""
    reply_not_contains: list[str] | None = None
    quick_replies: list[str] | None = None
    """Buttons that must be offered (exact labels)."""
    replies: int | None = Field(default=None, ge=0)
    """How many messages the customer received (0: the bot stayed quiet)."""
    mode: ModeName | None = None
    """The conversation's mode after the turn."""
    max_llm_calls: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    rejected: str | bool | None = None
    """The channel must refuse the message (e.g. web chat's 422); a string must appear in
    the error. Without it, a refused message fails the scenario."""
    asks_for: str | None = None
    """The turn ended waiting for this detail (a slot name, `order_number`); `none`: not
    waiting for anything."""
    active: str | None = None
    """The workflow on top of the stack after the turn (`order_status`), or `none`."""
    csat: int | None = Field(default=None, ge=1, le=5)
    """The conversation's stored satisfaction rating after the turn."""
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    """The conversation's language after the turn (ISO 639-1: `es`): what the bot
    detected and kept, and so the language its replies are worded in."""

    _lists = field_validator(
        "entities",
        "tools",
        "tools_not_called",
        "reply_contains",
        "reply_not_contains",
        "quick_replies",
        mode="before",
    )(_as_list)

    @field_validator("route")
    @classmethod
    def _known_route(cls, route: str) -> str:
        kind, sep, name = route.partition(":")
        if kind not in ROUTE_KINDS or (sep and not name):
            raise ValueError(
                f"unknown route {route!r}: use workflow, agent, human, or workflow:<name>"
            )
        return route


class Turn(_Strict):
    """One step: the customer says something, or staff decide the pending approval."""

    say: str | None = None
    repeat: int | None = Field(default=None, ge=1, le=1_000_000)
    """Say the text this many times over (oversized-message scenarios)."""
    approve: bool | None = None
    expect: Expect = Field(default_factory=lambda: Expect())

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        if (self.say is None) == (self.approve is None):
            raise ValueError("each turn needs exactly one of `say` or `approve`")
        if self.repeat is not None and self.say is None:
            raise ValueError("`repeat` goes with `say`")
        return self

    @property
    def text(self) -> str:
        return (self.say or "") * (self.repeat or 1)

    @property
    def label(self) -> str:
        if self.say is not None:
            text = self.say if len(self.say) <= 60 else self.say[:57] + "..."
            return f"say {text!r}" + (f" x{self.repeat}" if self.repeat else "")
        return "approve" if self.approve else "deny"


class Scenario(_Strict):
    name: str = Field(min_length=1)
    channel: Channel = "webchat"
    customer: str | None = None
    """A verified customer's user id (`cus_maria`); omitted: an anonymous visitor."""
    turns: list[Turn] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    needs_llm: bool = False
    """Only meaningful with a model: skipped (not failed) when run offline."""
    policy: dict[str, Any] | None = None
    """Overrides merged into the policy for this scenario only, e.g.
    `{escalation: {urgent_to_human: true}}`."""
    notes: str | None = None

    _tags = field_validator("tags", mode="before")(_as_list)


class ScenarioFile(_Strict):
    scenarios: list[Scenario] = Field(min_length=1)


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)
