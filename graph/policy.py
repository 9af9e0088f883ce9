"""The policy file: intents and their examples, routes, escalation rules, tool risk, budgets.

A site owner changes behaviour here, not in code. Validation errors name the key.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from graph.env_vars import MissingVariable, expand_env
from graph.help_centre import HelpCentrePolicy
from graph.hours import HandoffPolicy
from graph.i18n import pick
from graph.language import is_known
from graph.pii import PiiType
from graph.policy_texts import language_problems
from graph.routes import HUMAN, is_route, is_workflow_route, target_of, to_workflow
from graph.webhooks import WebhookPolicy
from graph.workflow_checks import workflow_problems
from graph.workflow_language import (
    STEP_KINDS,
    Call,
    Handoff,
    Instruction,
    Notify,
    Step,
    Ticket,
    Wording,
    compile_steps,
    walk,
)
from tools.catalog import REGISTRY  # importing it registers the built-in tools
from tools.connectors.config import (
    CONNECTOR_KINDS,
    ConnectorConfig,
    Providers,
    connector_problems,
)

WORKFLOWS = ("faq", "greeting", "clarify")
"""The system steps a route may name without steps of its own; every business workflow
is written under `workflows:`."""
Risk = Literal["read", "write", "sensitive"]
ActName = Literal["question", "request", "cancel", "close", "follow_up"]
"""What a message does in the conversation (graph/acts.py)."""


class Section(BaseModel):
    """A part of the policy file: a key it does not know is an error naming the key (a
    typo like `lable:` must not silently mean "not set")."""

    model_config = ConfigDict(extra="forbid")


class PolicyError(Exception):
    """The policy file is unreadable or invalid; the message names the key."""


class IntentPolicy(Section):
    examples: list[str] = Field(min_length=2)
    route: str
    description: str = ""

    @field_validator("route")
    @classmethod
    def _route_form(cls, route: str) -> str:
        if not is_route(route):
            raise ValueError(f"unknown route {route!r}: use agent, human or workflow:<name>")
        return route


class ClassifierPolicy(Section):
    threshold: float = Field(0.4, ge=0.0, le=1.0)
    model_path: Path | None = None
    confirm_below: float = Field(0.5, ge=0.0, le=1.0)
    """A workflow that writes (a ticket, a staff notice, an approval request) runs on a
    local guess only at this confidence or above; a model's guess never runs unasked."""
    unsure_side_effects: Literal["confirm", "handover", "run"] = "confirm"
    """What happens below `confirm_below`: ask the customer first ("Is this about your
    payment?"), hand over to a person, or run the workflow anyway."""


class EscalationPolicy(Section):
    clarify_attempts_before_handoff: int = Field(2, ge=1)
    vip_to_human: bool = False
    urgent_to_human: bool = False
    handoff_phrases: list[str] = Field(
        default_factory=lambda: ["human", "person", "agent", "representative", "someone real"]
    )


class ToolPolicy(Section):
    risk: Risk = "read"


class BudgetPolicy(Section):
    conversation_tokens: int = Field(20_000, ge=0)
    agent_max_steps: int = Field(6, ge=1)


class ModelPrice(Section):
    prompt_per_million: float = Field(0.0, ge=0)
    completion_per_million: float = Field(0.0, ge=0)


class LLMPolicy(Section):
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
    structured_output: Literal["auto", "named_tool", "required_tool", "json_schema", "prompt"] = (
        "auto"
    )
    """How the classification call asks for its answer: `auto` finds what the server takes
    (a named tool choice, "required", a JSON-schema response format, the schema in the
    prompt) at the first call; name one to skip that."""
    agent_tool_calls: Literal["auto", "native", "json_action"] = "auto"
    """How the agent calls tools: the API's tool calls (`native`), or one JSON action an
    answer (`json_action`, for small local models that make no tool calls); `auto` takes
    JSON actions on a server found to take structured answers only as a JSON schema."""
    max_output_tokens: int = Field(600, ge=16)
    """Cap on one agent call's answer: a small model that runs away stops here."""
    structured_max_tokens: int = Field(300, ge=16)
    """Cap on the classification call's answer."""


SlotKind = Literal["order_number", "email", "text"]


class SlotPolicy(Section):
    """A detail a workflow needs: how to ask for it, what a valid answer looks like."""

    prompt: Wording
    """The question, once or per language (`{en: Which order?, es: ¿Qué pedido?}`)."""
    kind: SlotKind = "text"
    pattern: str | None = None
    """A regular expression a typed answer must match (format check before any lookup)."""
    hint: Wording = ""
    """Added when an answer was not valid, so the customer knows what is expected."""
    choices: Literal["none", "recent_orders"] | list[str] = "none"
    """The quick-reply choices offered when the bot asks: a list, or a named source."""
    max_attempts: int = Field(default=3, ge=1)
    """Invalid answers before the bot stops asking and offers a person."""
    infer: bool = True
    """order_number: when only one order is still on its way, that is the one meant."""
    from_request: bool = False
    """A text slot with a distinctive pattern (a postcode): taken from the request that
    started the workflow when the pattern is found there, instead of asked."""

    def value_in(self, text: str) -> str | None:
        """For a text slot with a pattern (a postcode, a contract number): the first part of
        `text` that matches it as a whole word ("it's SW1A 1AA"); else None."""
        if self.kind != "text" or self.pattern is None:
            return None
        flags = re.match(r"\(\?[aiLmsux]+\)", self.pattern)  # "(?i)" must stay first
        lead = flags.group(0) if flags else ""
        inner = self.pattern[len(lead) :].removeprefix("^").removesuffix("$")
        try:
            found = re.search(rf"{lead}(?<!\w)(?:{inner})(?!\w)", text, re.IGNORECASE)
        except re.error:
            return None
        if found is None or re.fullmatch(self.pattern, found.group(0)) is None:
            return None
        return found.group(0)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


STEP_TAGS = set(STEP_KINDS)
"""Discriminator tags pydantic puts in error locations; the key already names the step."""


class WorkflowPolicy(Section):
    label: Wording
    """How the bot names the request: "Back to <label>: …"."""
    slots: dict[str, SlotPolicy] = Field(default_factory=dict)
    writes: bool | None = None
    """It has side effects (tickets, staff notices, approvals), so an unsure guess is
    confirmed first (`classifier.unsure_side_effects`). Unset: whether its steps open
    tickets, notify, hand over or call a tool that is not read-only."""
    topics: dict[str, Wording] = Field(default_factory=dict)
    """How the bot names the request when the message carries a flag: `{double_charge:
    the double charge}`; else its label."""
    requires: Literal["anyone", "verified"] = "anyone"
    """`verified`: unverified customers get the sign-in / person offer instead."""
    steps: list[Step] | None = None
    """A written workflow (graph/workflow_language.py); unset for the built-in nodes."""


class DialoguePolicy(Section):
    """How conversations hold together: waiting, digressions, takeovers."""

    idle_minutes: float = Field(default=30.0, gt=0)
    """A workflow waiting longer than this for an answer is dropped; the bot says so."""
    max_depth: int = Field(default=3, ge=1)
    """Workflows kept waiting at once; the oldest is dropped beyond this."""
    takeover: list[str] = Field(default_factory=list)
    """Intents that replace a waiting workflow instead of being a digression from it."""
    questions: str | None = "workflow:faq"
    """Where a question about how a task works goes ("how long does a refund take?" is
    about refunds but asks for no refund): the help centre by default; none to run the
    task's workflow anyway. A question naming the customer's own order or amount is a
    request."""
    acts: dict[ActName, list[str]] = Field(default_factory=dict)
    """More examples of what a message does, in this business's words (graph/acts.yaml
    ships general ones in five languages)."""
    follow_up_minutes: float = Field(default=30.0, gt=0)
    """A follow-up ("any update?") this soon after a request is about that request."""

    @field_validator("questions")
    @classmethod
    def _questions_route(cls, route: str | None) -> str | None:
        if route is not None and not is_route(route):
            raise ValueError(f"unknown route {route!r}: use agent, human or workflow:<name>")
        return route


class CsatPolicy(Section):
    """The 1-5 satisfaction question asked once after a resolved conversation."""

    enabled: bool = True
    channels: dict[str, bool] = Field(default_factory=dict)
    """Per-channel switch; a channel not listed follows `enabled`."""
    question: Wording = (
        "Before you go: how would you rate this conversation, from 1 (poor) to 5 (great)?"
    )

    def asks_on(self, channel: str) -> bool:
        return self.channels.get(channel, self.enabled)


PiiAction = Literal["mask", "keep", "drop"]


def _default_pii_store() -> dict[PiiType, PiiAction]:
    return {
        "card": "mask",
        "iban": "mask",
        "email": "keep",  # workflows ask for the account e-mail (slots)
        "phone": "mask",
        "national_id": "mask",
    }


class PiiPolicy(Section):
    """Personal data in customer messages (graph/pii.py). `store` is what transcripts keep
    per type: mask (a typed placeholder such as [CARD_1]), keep, or drop (removed). What
    reaches a model is always redacted; `entitled` lists the tools that get a type's real
    value back from its placeholder."""

    enabled: bool = True
    store: dict[PiiType, PiiAction] = Field(default_factory=_default_pii_store)
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "NL", "ES", "IT"], min_length=1
    )
    entitled: dict[str, list[str]] = Field(default_factory=dict)


class Policy(Section):
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
    workflows: dict[str, WorkflowPolicy] = Field(default_factory=dict)
    dialogue: DialoguePolicy = Field(default_factory=DialoguePolicy)
    csat: CsatPolicy = Field(default_factory=CsatPolicy)
    handoff: HandoffPolicy = Field(default_factory=HandoffPolicy)
    help_centre: HelpCentrePolicy = Field(default_factory=HelpCentrePolicy)
    webhooks: list[WebhookPolicy] = Field(default_factory=list)
    """Where a helpdesk or CRM is told what happened (graph/webhooks.py)."""
    connectors: dict[str, ConnectorConfig] = Field(default_factory=dict)
    """The company's own systems, as tools `<connector>.<tool>` (tools/connectors/)."""
    providers: Providers = Field(default_factory=Providers)

    language: str = "en"
    """The language replies are written in; a reply given per language falls back to it."""
    languages: list[str] = Field(default_factory=list)
    """The languages customers are answered in (ISO 639-1), `language` among them: each
    message's language is detected among these (graph/language.py). Empty: `language`."""
    _programs: dict[str, list[Instruction]] = PrivateAttr(default_factory=dict)
    _version: str = PrivateAttr(default="")
    _directory: Path = PrivateAttr(default=Path("."))

    @property
    def directory(self) -> Path:
        """Where the policy file is: files it names (an OpenAPI document) are read from
        there."""
        return self._directory

    @property
    def version(self) -> str:
        """A hash of the policy's content (not its layout or comments): each trace records
        it, so any turn can be read against the policy that made its decisions."""
        if not self._version:
            content = self.model_dump_json(by_alias=True).encode()
            self._version = hashlib.sha256(content).hexdigest()[:12]
        return self._version

    @model_validator(mode="after")
    def _checked(self) -> Policy:
        problems = policy_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @field_validator("language", "languages")
    @classmethod
    def _known_codes(cls, value: str | list[str]) -> str | list[str]:
        for code in [value] if isinstance(value, str) else value:
            if not is_known(code):
                raise ValueError(f"unknown language code {code!r} (ISO 639-1, like en or es)")
        return value

    @model_validator(mode="after")
    def _spoken(self) -> Policy:
        if self.language not in self.languages:
            self.languages = [self.language, *self.languages]
        return self

    @model_validator(mode="after")
    def _enough_intents(self) -> Policy:
        if len(self.intents) < 2:
            raise ValueError("needs at least two intents")
        return self

    def tool_risks(self) -> dict[str, str]:
        """Every tool this policy's workflows and agent may name, with its risk: the
        built-ins, and the tools its connectors declare."""
        risks: dict[str, str] = {name: spec.risk for name, spec in REGISTRY.items()}
        for connector, config in self.connectors.items():
            risks |= {f"{connector}.{name}": risk for name, risk in config.declared().items()}
        return risks

    def writes(self, workflow: str) -> bool:
        entry = self.workflows.get(workflow)
        if entry is not None and entry.writes is not None:
            return entry.writes
        if entry is not None and entry.steps is not None:
            risks = self.tool_risks()
            return any(_writes(step, risks) for _, step in walk(entry.steps))
        return False

    def is_task(self, intent: str) -> bool:
        """A request to act (a written workflow, or a person), not a question or chat."""
        route = self.route_for(intent)
        return route == HUMAN or self.written(target_of(route))

    def written(self, workflow: str) -> bool:
        """A workflow whose steps are in this file (run by the generic workflow node)."""
        entry = self.workflows.get(workflow)
        return entry is not None and entry.steps is not None

    def program(self, workflow: str) -> list[Instruction]:
        """The written workflow compiled, once per policy."""
        if workflow not in self._programs:
            self._programs[workflow] = compile_steps(self.workflows[workflow].steps or [])
        return self._programs[workflow]

    def label_of(self, workflow: str) -> str:
        """How the bot names `workflow`'s request, in the turn's language."""
        entry = self.workflows.get(workflow)
        return pick(entry.label) if entry else workflow.replace("_", " ")

    def route_for(self, intent: str) -> str:
        entry = self.intents.get(intent)
        return entry.route if entry else to_workflow("clarify")

    def training_data(self) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for name, intent in self.intents.items():
            texts.extend(intent.examples)
            labels.extend([name] * len(intent.examples))
        return texts, labels


def _writes(step: Any, risks: dict[str, str]) -> bool:
    if isinstance(step, Ticket | Notify | Handoff):
        return True
    return isinstance(step, Call) and risks.get(step.call) != "read"


def policy_problems(policy: Policy) -> list[str]:
    problems: list[str] = connector_problems(policy.connectors, policy.providers)
    for name, intent in policy.intents.items():
        target = target_of(intent.route)
        if (
            is_workflow_route(intent.route)
            and target not in WORKFLOWS
            and not policy.written(target)
        ):
            problems.append(
                f"intents.{name}.route: no workflow {target!r} (write it under workflows:)"
            )
    questions = policy.dialogue.questions
    if questions and is_workflow_route(questions):
        target = target_of(questions)
        if target not in WORKFLOWS and not policy.written(target):
            problems.append(f"dialogue.questions: no workflow {target!r}")
    risks = policy.tool_risks()
    for i, tool_name in enumerate(policy.llm.agent_tools):
        if tool_name not in risks:
            problems.append(f"llm.agent_tools[{i}]: no tool {tool_name!r}")
    for name, workflow in policy.workflows.items():
        if workflow.steps is None:
            if name not in WORKFLOWS:
                problems.append(f"workflows.{name}: unknown workflow (give it steps:)")
            continue
        problems.extend(
            workflow_problems(f"workflows.{name}", workflow.steps, workflow.slots, risks)
        )
    return problems + language_problems(policy)


#: libyaml's parser when PyYAML was built with it (about ten times faster on a large
#: policy, read once per app and per scenario), else PyYAML's own; the same YAML either way.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """`yaml.safe_load`, faster."""
    return yaml.load(text, Loader=_YAML_LOADER)


def load_policy(path: Path, environ: Mapping[str, str] | None = None) -> Policy:
    """The policy at `path`, its `${VAR}` read from `environ` (the process environment,
    as the settings are)."""
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy error: {path}: {exc}") from None
    try:
        raw = expand_env(raw, os.environ if environ is None else environ)
    except MissingVariable as exc:
        raise PolicyError(f"policy error: {path}: {exc}") from None
    try:
        policy = Policy.model_validate(raw or {})
    except ValidationError as exc:
        lines = [f"policy error: {path}: {problem}" for problem in problems_of(exc)]
        raise PolicyError("\n".join(lines)) from None
    policy._directory = path.parent
    return policy


def problems_of(exc: ValidationError) -> list[str]:
    """One line per problem, each naming its key: `workflows.x.steps[3].call: ...`."""
    problems: list[str] = []
    for error in exc.errors():
        key = ""
        for depth, part in enumerate(error["loc"]):
            if depth == 2 and error["loc"][0] == "connectors" and part in CONNECTOR_KINDS:
                continue  # the union's tag (`kind:`), not a key of the file
            if isinstance(part, int):
                key += f"[{part}]"
            elif part not in STEP_TAGS or not key.endswith("]"):
                key += f".{part}" if key else str(part)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        if error["loc"] or ": " not in message:
            problems.append(f"{key or '(root)'}: {message}")
        else:  # the policy-wide checks: their own keys, "; " between them
            problems.extend(message.split("; "))
    return problems
