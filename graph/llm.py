"""The language model seam: any OpenAI-compatible endpoint through langchain-openai.

Every call is measured (tokens, latency, cost) and recorded in the turn's trace, and every
call is checked against the token budget first. Faults surface as `LLMUnavailable` so
nodes fall back to a workflow or a person instead of going silent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from time import perf_counter
from typing import Any, Literal, get_args

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, ValidationError

from graph.agent_actions import action_messages, action_schema, as_message
from graph.model_output import structured_from_content, tool_calls_in_content
from graph.policy import Policy


class LLMUnavailable(Exception):
    """The model failed (timeout, 429/5xx, bad output) after its bounded retries."""


class BudgetExceeded(LLMUnavailable):
    """The conversation's or the day's token budget is spent."""


@dataclass(frozen=True)
class LLMSettings:
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 20.0
    max_retries: int = 1


def build_chat_model(settings: LLMSettings) -> BaseChatModel:
    # Imported here: the OpenAI client costs a second and a half at start, and most
    # deployments without a model never need it.
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        # Local servers (Ollama, llama.cpp, vLLM) take any key; the client insists on one.
        api_key=settings.api_key or "not-needed",  # type: ignore[arg-type]
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
        temperature=0,
    )


StructuredStyle = Literal["named_tool", "json_schema", "required_tool", "prompt"]
STRUCTURED_STYLES: tuple[StructuredStyle, ...] = get_args(StructuredStyle)


@dataclass
class ServerProfile:
    """How this model's server takes a structured request, learnt once per model.

    OpenAI, vLLM and Ollama take a named `tool_choice`; llama-server ignores the object
    form (it answers as with "auto") but enforces a JSON-schema `response_format`;
    "required" it accepts without enforcing (a small model then writes prose up to the
    token cap, so it comes after the schema); llama-cpp-python and others take neither.
    Detection starts at the first style and moves down the list when the server rejects
    a style or the model answers outside it; once a style has worked it stays, for every
    runner of the process that uses the same model (`shared`). A policy that names the
    style (`llm.structured_output`) fixes it: no detection."""

    structured: StructuredStyle = "named_tool"
    fixed: bool = False
    confirmed: bool = False
    agent_calls: Literal["auto", "native", "json_action"] = "auto"
    """How the agent calls tools: the API's tool calls, or one JSON action an answer
    (graph/agent_actions.py). `auto`: JSON actions on a server found to take structured
    answers only as a JSON schema or in the prompt, whose models make no tool calls."""

    @property
    def json_actions(self) -> bool:
        if self.agent_calls != "auto":
            return self.agent_calls == "json_action"
        return self.confirmed and self.structured in ("json_schema", "prompt")

    @classmethod
    def for_policy(cls, style: str) -> ServerProfile:
        if style in STRUCTURED_STYLES:
            return cls(structured=style, fixed=True, confirmed=True)  # type: ignore[arg-type]
        return cls()

    @classmethod
    def shared(
        cls, model: str, base_url: str | None, style: str, agent_calls: str = "auto"
    ) -> ServerProfile:
        """One profile per model and server in this process: an app built again (the
        scenario runner builds one per scenario, tests one per test) does not probe again."""
        if style in STRUCTURED_STYLES:
            profile = cls.for_policy(style)
        else:
            profile = _PROFILES.setdefault((model, base_url or "", agent_calls), cls())
        profile.agent_calls = agent_calls  # type: ignore[assignment]
        return profile

    def step_down(self) -> bool:
        """Move to the next style; False when there is none left or detection is over."""
        if self.fixed or self.confirmed:
            return False
        index = STRUCTURED_STYLES.index(self.structured)
        if index + 1 >= len(STRUCTURED_STYLES):
            return False
        self.structured = STRUCTURED_STYLES[index + 1]
        return True

    def worked(self) -> None:
        self.confirmed = True


_PROFILES: dict[tuple[str, str, str], ServerProfile] = {}


@dataclass
class TokenBudget:
    """Tokens still allowed for this conversation and for today (across all customers)."""

    conversation_left: int
    day_left: int
    spent: int = 0

    def check(self) -> None:
        if self.spent >= self.conversation_left:
            raise BudgetExceeded("conversation token budget spent")
        if self.spent >= self.day_left:
            raise BudgetExceeded("daily token budget spent")


@dataclass
class LLMCall:
    purpose: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LLMClient:
    """One model for one turn: calls it, meters it, enforces the budget."""

    model: BaseChatModel
    model_name: str
    policy: Policy
    load_budget: Callable[[], Awaitable[TokenBudget]]
    """Read when the turn first calls the model: most turns never do, and summing the
    day's tokens for them was a query for nothing."""
    calls: list[LLMCall] = field(default_factory=list)
    profile: ServerProfile = field(default_factory=lambda: ServerProfile())
    """What the model's server accepts, shared by every turn of the runner."""
    runnables: dict[Any, Any] = field(default_factory=dict)
    """The model bound to a tool set or an output schema, by what it was bound to. The
    runner shares one dict across turns: binding converts the schemas with pydantic,
    1-2 ms of the event loop a call when done for every call."""
    _budget: TokenBudget | None = None

    async def _checked_budget(self) -> TokenBudget:
        if self._budget is None:
            self._budget = await self.load_budget()
        self._budget.check()
        return self._budget

    def _record(
        self, purpose: str, message: AIMessage | None, started: float, error: str | None = None
    ) -> LLMCall:
        usage: Mapping[str, Any] = (message.usage_metadata or {}) if message is not None else {}
        prompt = int(usage.get("input_tokens", 0))
        completion = int(usage.get("output_tokens", 0))
        price = self.policy.llm.prices.get(self.model_name)
        cost = (
            (prompt * price.prompt_per_million + completion * price.completion_per_million) / 1e6
            if price
            else 0.0
        )
        call = LLMCall(
            purpose,
            self.model_name,
            prompt,
            completion,
            round((perf_counter() - started) * 1000, 1),
            round(cost, 6),
            error,
        )
        self.calls.append(call)
        if self._budget is not None:
            self._budget.spent += prompt + completion
        return call

    def _bound(self, key: Any, bind: Callable[[], Any]) -> Any:
        if key not in self.runnables:
            self.runnables[key] = bind()
        return self.runnables[key]

    async def invoke(
        self, purpose: str, messages: list[BaseMessage], tools: list[Any] | None = None
    ) -> AIMessage:
        """One call; with `tools`, the model may call them. `tool_choice` is always sent
        ("auto"): some servers leave the tools out of the prompt without it. A call written
        as JSON text instead of the API's tool call is taken as the call it means."""
        await self._checked_budget()
        if tools and self.profile.json_actions:
            return await self._json_action(purpose, messages, tools)
        runnable: Any = self.model
        limit = self.policy.llm.max_output_tokens
        names: tuple[str, ...] = ()
        if tools:
            names = tuple(_tool_name(tool) for tool in tools)
            runnable = self._bound(
                ("tools", names),
                lambda: self.model.bind_tools(tools, tool_choice="auto", max_tokens=limit),
            )
        else:
            runnable = self._bound("plain", lambda: self.model.bind(max_tokens=limit))
        started = perf_counter()
        try:
            message = await runnable.ainvoke(messages)
        except Exception as exc:
            self._record(purpose, None, started, error=f"{type(exc).__name__}: {exc}"[:300])
            raise LLMUnavailable(type(exc).__name__) from exc
        self._record(purpose, message, started)
        return tool_calls_in_content(message, set(names))

    async def _json_action(
        self, purpose: str, messages: list[BaseMessage], tools: list[Any]
    ) -> AIMessage:
        """An agent step asked as one JSON action (graph/agent_actions.py)."""
        names = tuple(_tool_name(tool) for tool in tools)
        steps = sum(1 for m in messages if isinstance(m, AIMessage))
        first = not any(isinstance(m, ToolMessage) for m in messages)
        schema = action_schema(names, first=first)
        action = await self.structured(purpose, schema, action_messages(messages, tools))
        return as_message(action, set(names), steps)

    async def structured(self, purpose: str, schema: type[Any], messages: list[BaseMessage]) -> Any:
        """One structured answer, validated by `schema`. Asked the way this model's server
        takes it (see `ServerProfile`): the schema as the one tool the model must call, as
        a JSON-schema response format, or in the prompt; the answer is read from the tool
        call or, where the model wrote it as text, from the text. Until a way has worked
        once, a server that rejects it or a model that ignores it moves the profile down
        to the next way, in the same call."""
        await self._checked_budget()
        while True:
            style = self.profile.structured
            started = perf_counter()
            try:
                message = await self._structured_runnable(schema, style).ainvoke(
                    _with_schema(messages, schema) if style == "prompt" else messages
                )
            except Exception as exc:
                self._record(purpose, None, started, error=f"{type(exc).__name__}: {exc}"[:300])
                if _rejected_request(exc) and self.profile.step_down():
                    await self._checked_budget()
                    continue
                raise LLMUnavailable(type(exc).__name__) from exc
            try:
                parsed = schema.model_validate(_structured_arguments(message, schema.__name__))
            except ValidationError as exc:
                self._record(purpose, message, started, error=f"unparseable: {exc}"[:300])
                if self.profile.step_down():
                    await self._checked_budget()
                    continue
                raise LLMUnavailable("unparseable structured output") from exc
            self._record(purpose, message, started)
            self.profile.worked()
            return parsed

    def _structured_runnable(self, schema: type[Any], style: StructuredStyle) -> Any:
        limit = self.policy.llm.structured_max_tokens

        def bind() -> Any:
            if style == "named_tool":
                return self.model.bind_tools(
                    [schema],
                    tool_choice=schema.__name__,
                    parallel_tool_calls=False,
                    max_tokens=limit,
                )
            if style == "required_tool":
                return self.model.bind_tools([schema], tool_choice="required", max_tokens=limit)
            if style == "json_schema":
                response_format = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
                }
                return self.model.bind(response_format=response_format, max_tokens=limit)
            return self.model.bind(max_tokens=limit)

        return self._bound((schema, style), bind)

    @property
    def tokens(self) -> int:
        return sum(c.prompt_tokens + c.completion_tokens for c in self.calls)

    @property
    def cost_usd(self) -> float:
        return round(sum(c.cost_usd for c in self.calls), 6)


def _structured_arguments(message: AIMessage, schema_name: str) -> Any:
    """The structured answer's arguments: the tool call's, else JSON the model wrote."""
    if message.tool_calls:
        return message.tool_calls[0]["args"]
    return structured_from_content(str(message.content or ""), schema_name)


def _with_schema(messages: list[BaseMessage], schema: type[BaseModel]) -> list[BaseMessage]:
    """The schema stated in the prompt, for servers that take neither tools nor formats."""
    return [*messages[:1], SystemMessage(_schema_instruction(schema)), *messages[1:]]


@cache
def _schema_instruction(schema: type[BaseModel]) -> str:
    """Built once per schema: pydantic's JSON schema costs ~0.4 ms of the event loop."""
    return "Answer with one JSON object only, no other text, matching this JSON schema:\n" + (
        json.dumps(schema.model_json_schema(), separators=(",", ":"))
    )


def _rejected_request(exc: Exception) -> bool:
    """The server refused the request's form (a 4xx such as llama-server's "Wrong type
    supplied for parameter 'tool_choice'"), not the model failing."""
    return getattr(exc, "status_code", None) in (400, 404, 422, 501)


def _tool_name(tool: Any) -> str:
    """An OpenAI tool schema's function name, or a LangChain tool's name."""
    if isinstance(tool, dict):
        return str(tool.get("function", tool).get("name"))
    return str(getattr(tool, "name", tool))
