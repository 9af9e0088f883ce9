"""The language model seam: any OpenAI-compatible endpoint through langchain-openai.

Every call is measured (tokens, latency, cost) and recorded in the turn's trace, and every
call is checked against the token budget first. Faults surface as `LLMUnavailable` so
nodes fall back to a workflow or a person instead of going silent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import ValidationError

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
        await self._checked_budget()
        runnable: Any = self.model
        if tools:
            names = tuple(_tool_name(tool) for tool in tools)
            runnable = self._bound(("tools", names), lambda: self.model.bind_tools(tools))
        started = perf_counter()
        try:
            message = await runnable.ainvoke(messages)
        except Exception as exc:
            self._record(purpose, None, started, error=f"{type(exc).__name__}: {exc}"[:300])
            raise LLMUnavailable(type(exc).__name__) from exc
        self._record(purpose, message, started)
        return message  # type: ignore[no-any-return]

    async def structured(self, purpose: str, schema: type[Any], messages: list[BaseMessage]) -> Any:
        """One structured call: the schema as the one tool the model must call (function
        calling works on every OpenAI-compatible server), its arguments validated here.
        Not `with_structured_output`: that converts the schema again on every call, for
        tracing metadata we do not use."""
        await self._checked_budget()
        runnable = self._bound(
            schema,
            lambda: self.model.bind_tools(
                [schema], tool_choice=schema.__name__, parallel_tool_calls=False
            ),
        )
        started = perf_counter()
        try:
            message = await runnable.ainvoke(messages)
        except Exception as exc:
            self._record(purpose, None, started, error=f"{type(exc).__name__}: {exc}"[:300])
            raise LLMUnavailable(type(exc).__name__) from exc
        try:
            parsed = schema.model_validate(message.tool_calls[0]["args"])
        except (IndexError, ValidationError) as exc:
            self._record(purpose, message, started, error=f"unparseable: {exc}"[:300])
            raise LLMUnavailable("unparseable structured output") from exc
        self._record(purpose, message, started)
        return parsed

    @property
    def tokens(self) -> int:
        return sum(c.prompt_tokens + c.completion_tokens for c in self.calls)

    @property
    def cost_usd(self) -> float:
        return round(sum(c.cost_usd for c in self.calls), 6)


def _tool_name(tool: Any) -> str:
    """An OpenAI tool schema's function name, or a LangChain tool's name."""
    if isinstance(tool, dict):
        return str(tool.get("function", tool).get("name"))
    return str(getattr(tool, "name", tool))
