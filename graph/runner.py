"""Running one turn: the compiled graph with the SQL checkpointer, one checkpoint per turn,
written (with what the turn's tools write) in the turn's transaction when one is given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from time import monotonic, perf_counter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.approval import build_approval_graph
from graph.builder import build_graph
from graph.context import TurnContext
from graph.entities import Entities, entity_names
from graph.i18n import speaking
from graph.intents import IntentClassifier
from graph.language import conversation_language
from graph.llm import LLMClient, ServerProfile, TokenBudget
from graph.pii import redact
from graph.policy import Policy
from graph.stack import view
from graph.state import Reply
from storage.models import Customer, Trace
from storage.reads import reading
from storage.traces import tokens_used
from storage.turn_transaction import TurnTransaction
from tools.base import REGISTRY, Caller, Catalog, ToolBox


def traced_tool_calls(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls as the trace keeps them: personal data in arguments and results masked."""
    masked = []
    for entry in log:
        row = dict(entry)
        for key in ("arguments", "result", "error"):
            if isinstance(row.get(key), str):
                row[key] = redact(row[key]).text
        masked.append(row)
    return masked


#: How stale the day's token total may get in one process (see `DayTokens`).
DAY_TOKENS_REFRESH_S = 10.0


class DayTokens:
    """Model tokens everyone spent today, for the daily budget.

    Summing the day's traces before every model call cost more the busier the day had
    been; this reads the sum at most every `refresh_s` and adds this process's own
    spending in between (another replica's spending counts from the next read)."""

    def __init__(self, refresh_s: float = DAY_TOKENS_REFRESH_S) -> None:
        self._refresh_s = refresh_s
        self._day: object = None
        self._read_at = float("-inf")
        self._total = 0

    async def spent(self, session: AsyncSession) -> int:
        today = datetime.now(UTC).date()
        if today != self._day or monotonic() - self._read_at > self._refresh_s:
            midnight = datetime.combine(today, time.min, tzinfo=UTC)
            self._total = await tokens_used(session, since=midnight)
            self._day, self._read_at = today, monotonic()
        return self._total

    def add(self, tokens: int) -> None:
        self._total += tokens


@dataclass(frozen=True)
class TurnRequest:
    conversation_id: int
    message_id: int
    channel: str
    text: str
    customer_id: int | None = None
    customer_name: str | None = None
    customer_vip: bool = False
    customer_email: str | None = None
    language: str | None = None
    """The conversation's language so far (None before its first turn)."""
    locale: str | None = None
    """The sender's locale as the channel reported it: the hint for a first message too
    short to tell its language."""
    at: float | None = None
    """When the message arrived (epoch seconds), for a turn run later than that (a replay):
    idle expiry and office hours then read that moment, not now."""


@dataclass
class TurnOutcome:
    replies: list[Reply]
    intent: str | None = None
    confidence: float | None = None
    route: str | None = None
    entities: list[str] = field(default_factory=list)
    node_path: list[str] = field(default_factory=list)
    node_ms: dict[str, float] = field(default_factory=dict)
    tools: list[str] = field(default_factory=list)
    total_ms: float = 0.0
    approvals: list[int] = field(default_factory=list)
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tokens: int = 0
    cost_usd: float = 0.0
    dialogue: dict[str, Any] = field(default_factory=dict)
    """The workflow stack after the turn (graph/stack.py `view`), recorded in the trace."""
    policy_version: str | None = None
    """The content hash of the policy that decided the turn."""
    steps: list[str] = field(default_factory=list)
    """Written workflows' steps taken (`billing_issue:steps[2].then[0]`)."""
    language: str | None = None
    """The language the turn answered in: the conversation's language after it."""

    def trace(self, conversation_id: int, message_id: int, **extra: Any) -> Trace:
        """The turn as its trace row keeps it (`extra`: a replay's `created_at`)."""
        return Trace(
            conversation_id=conversation_id,
            message_id=message_id,
            intent=self.intent,
            confidence=self.confidence,
            route=self.route,
            node_path=self.node_path,
            tools=self.tools,
            node_ms=self.node_ms,
            entities={"names": self.entities, "dialogue": self.dialogue},
            total_ms=self.total_ms,
            llm_calls=len(self.llm_calls),
            llm=self.llm_calls,
            tool_calls=self.tool_calls,
            tokens=self.tokens,
            cost_usd=self.cost_usd,
            policy_version=self.policy_version,
            steps=self.steps,
            language=self.language,
            **extra,
        )


def customer_fields(customer: Customer | None) -> dict[str, Any]:
    """The customer's part of a `TurnRequest` or `ApprovalRequest`, from the stored
    customer (None: an anonymous visitor, the requests' defaults)."""
    if customer is None:
        return {"customer_id": None}
    return {
        "customer_id": customer.id,
        "customer_name": customer.name,
        "customer_vip": customer.vip,
        "customer_email": customer.email,
    }


@dataclass(frozen=True)
class ApprovalRequest:
    """A pending sensitive action and whom it is for (from the approvals table)."""

    approval_id: int
    conversation_id: int
    message_id: int
    channel: str
    tool: str
    arguments: dict[str, Any]
    summary: str
    customer_id: int | None
    customer_name: str | None = None
    customer_vip: bool = False
    customer_email: str | None = None
    language: str | None = None
    """The conversation's language: the decision is told to the customer in it."""


class TurnRunner:
    def __init__(
        self,
        *,
        saver: BaseCheckpointSaver[Any],
        policy: Policy,
        classifier: IntentClassifier,
        sessions: async_sessionmaker[AsyncSession],
        acts: IntentClassifier | None = None,
        max_chars: int = 4000,
        chat_model: BaseChatModel | None = None,
        model_name: str = "",
        daily_token_budget: int = 0,
        staff_reachable: Callable[[], Awaitable[bool]] | None = None,
        public_url: str = "",
        catalog: Catalog = REGISTRY,
    ) -> None:
        self._catalog = catalog
        self._staff_reachable = staff_reachable
        self._public_url = public_url
        self._chat_model = chat_model
        self._runnables: dict[object, object] = {}  # the model bound to tools and schemas
        self._server = ServerProfile.shared(
            model_name,
            getattr(chat_model, "openai_api_base", None),
            policy.llm.structured_output,
            policy.llm.agent_tool_calls,
        )
        self.day_tokens = DayTokens()
        self._model_name = model_name
        self._daily_token_budget = daily_token_budget
        self._graph = build_graph().compile(checkpointer=saver)
        self._approvals = build_approval_graph().compile(checkpointer=saver)
        self.policy = policy
        self.classifier = classifier
        self.acts = acts
        self._sessions = sessions
        self._max_chars = max_chars

    def _llm(self, conversation_id: int) -> LLMClient | None:
        """A metered model for one turn, with what is left of both token budgets."""
        if self._chat_model is None:
            return None

        async def budget() -> TokenBudget:
            async with reading(self._sessions) as session:
                conversation = await tokens_used(session, conversation_id=conversation_id)
                today = await self.day_tokens.spent(session)
            return TokenBudget(
                conversation_left=self.policy.budgets.conversation_tokens - conversation,
                day_left=self._daily_token_budget - today,
            )

        return LLMClient(
            self._chat_model,
            self._model_name,
            self.policy,
            budget,
            profile=self._server,
            runnables=self._runnables,
        )

    def _context(
        self,
        caller: Caller,
        request: TurnRequest | None = None,
        turn: TurnTransaction | None = None,
    ) -> TurnContext:
        return TurnContext(
            policy=self.policy,
            classifier=self.classifier,
            acts=self.acts,
            tools=ToolBox(self._sessions, caller, self._catalog, turn=turn),
            company=self.policy.company,
            customer_name=request.customer_name if request else None,
            customer_vip=request.customer_vip if request else False,
            max_chars=self._max_chars,
            customer_email=request.customer_email if request else None,
            staff_reachable=self._staff_reachable,
            public_url=self._public_url,
        )

    async def run_turn(
        self,
        request: TurnRequest,
        *,
        decision: dict[str, Any] | None = None,
        turn: TurnTransaction | None = None,
    ) -> TurnOutcome:
        """One turn: the customer's message, or (`decision`) staff's decision on the
        approval a paused workflow waits for. With `turn`, the tools' writes and the
        checkpoint are made in that transaction, which the caller commits."""
        started = perf_counter()
        language = self.turn_language(request, decided=decision is not None)
        caller = Caller(
            conversation_id=request.conversation_id,
            message_id=request.message_id,
            channel=request.channel,
            customer_id=request.customer_id,
            language=language,
            default_language=self.policy.language,
            scope=f"approval:{decision['approval_id']}" if decision else "",
        )
        context = self._context(caller, request, turn)
        if request.at is not None:
            at = request.at
            context.clock = lambda: at
        context.llm = self._llm(request.conversation_id)
        thread_id = str(request.conversation_id)
        with speaking(language, self.policy.language), _within(turn):
            state: dict[str, Any] = await self._graph.ainvoke(
                {
                    "message_id": request.message_id,
                    "text": request.text,
                    "channel": request.channel,
                    "decision": decision,
                    "language": language,
                },
                {"configurable": {"thread_id": thread_id}},
                context=context,
                durability="exit",  # one checkpoint per turn, written when the turn ends
            )
        if context.llm is not None:
            self.day_tokens.add(context.llm.tokens)
        return TurnOutcome(
            replies=list(state.get("replies") or []),
            intent=state.get("intent"),
            confidence=state.get("confidence"),
            route=state.get("route"),
            entities=entity_names(state.get("entities") or Entities()),
            node_path=context.trace.node_path,
            node_ms=context.trace.node_ms,
            tools=context.tools.calls,
            total_ms=round((perf_counter() - started) * 1000, 3),
            approvals=context.trace.approvals,
            llm_calls=[c.as_dict() for c in context.llm.calls] if context.llm else [],
            tool_calls=traced_tool_calls(context.tools.log),
            tokens=context.llm.tokens if context.llm else 0,
            cost_usd=context.llm.cost_usd if context.llm else 0.0,
            dialogue=view(state),
            policy_version=self.policy.version,
            steps=context.trace.steps,
            language=language,
        )

    def turn_language(self, request: TurnRequest, *, decided: bool = False) -> str:
        """The language this turn answers in: a staff decision changes nothing, a message
        changes it only when clearly written in another of the policy's languages."""
        if decided:
            return request.language or self.policy.language
        return conversation_language(
            request.text,
            previous=request.language,
            languages=self.policy.languages,
            default=self.policy.language,
            hint=request.locale,
        )

    # --- approvals: each waits in interrupt() on its own thread -------------------------

    def _approval_call(
        self, approval: ApprovalRequest, turn: TurnTransaction | None = None
    ) -> tuple[RunnableConfig, TurnContext]:
        caller = Caller(
            conversation_id=approval.conversation_id,
            message_id=approval.message_id,
            channel=approval.channel,
            customer_id=approval.customer_id,
            language=approval.language or self.policy.language,
            default_language=self.policy.language,
        )
        config: RunnableConfig = {"configurable": {"thread_id": f"approval:{approval.approval_id}"}}
        return config, self._context(caller, turn=turn)

    async def start_approval(
        self, approval: ApprovalRequest, turn: TurnTransaction | None = None
    ) -> None:
        """Run the approval graph up to its interrupt (idempotent: a started one stays)."""
        config, context = self._approval_call(approval, turn)
        with _within(turn):
            existing = await self._approvals.aget_state(config)
            if existing.values:
                return
            await self._approvals.ainvoke(
                {
                    "approval_id": approval.approval_id,
                    "tool": approval.tool,
                    "arguments": approval.arguments,
                    "summary": approval.summary,
                },
                config,
                context=context,
                durability="exit",
            )

    async def resume_approval(
        self,
        approval: ApprovalRequest,
        *,
        approved: bool,
        decided_by: str,
        turn: TurnTransaction | None = None,
    ) -> TurnOutcome:
        """Resume the waiting approval with the decision; returns what to tell the customer.

        Safe to repeat after a crash: a finished approval thread returns its replies.
        With `turn`, everything it writes is in that transaction, as in `run_turn`."""
        with speaking(approval.language or self.policy.language, self.policy.language):
            return await self._resume_approval(
                approval, approved=approved, decided_by=decided_by, turn=turn
            )

    async def _resume_approval(
        self,
        approval: ApprovalRequest,
        *,
        approved: bool,
        decided_by: str,
        turn: TurnTransaction | None,
    ) -> TurnOutcome:
        started = perf_counter()
        await self.start_approval(approval, turn)
        config, context = self._approval_call(approval, turn)
        with _within(turn):
            snapshot = await self._approvals.aget_state(config)
            if snapshot.next:
                state: dict[str, Any] = await self._approvals.ainvoke(
                    Command(resume={"approved": approved, "decided_by": decided_by}),
                    config,
                    context=context,
                    durability="exit",
                )
            else:
                state = dict(snapshot.values)
        outcome = TurnOutcome(
            replies=list(state.get("replies") or []),
            route=f"approval:{'approved' if approved else 'denied'}",
            node_path=["approval"],
            tools=context.tools.calls,
            total_ms=round((perf_counter() - started) * 1000, 3),
            language=approval.language or self.policy.language,
        )
        decided = {"approval_id": approval.approval_id, **(state.get("outcome") or {})}
        resumed = await self._resume_workflow(approval, decided, turn)
        if resumed is not None:
            if not resumed.replies:  # the workflow says nothing: the approval's own words
                resumed.replies = outcome.replies
            resumed.tools = [*outcome.tools, *resumed.tools]
            resumed.tool_calls = [*traced_tool_calls(context.tools.log), *resumed.tool_calls]
            return resumed
        return outcome

    async def _resume_workflow(
        self, approval: ApprovalRequest, decided: dict[str, Any], turn: TurnTransaction | None
    ) -> TurnOutcome | None:
        """The written workflow paused for this approval runs on from its next step, in
        the conversation's own thread (None: no workflow waits for it, e.g. the agent asked
        for it, or the customer cancelled meanwhile)."""
        config: RunnableConfig = {"configurable": {"thread_id": str(approval.conversation_id)}}
        with _within(turn):
            snapshot = await self._graph.aget_state(config)
        paused = (snapshot.values or {}).get("paused") or []
        if not any(frame.get("approval") == approval.approval_id for frame in paused):
            return None
        request = TurnRequest(
            conversation_id=approval.conversation_id,
            message_id=approval.message_id,
            channel=approval.channel,
            text="",
            customer_id=approval.customer_id,
            customer_name=approval.customer_name,
            customer_vip=approval.customer_vip,
            customer_email=approval.customer_email,
            language=approval.language,
        )
        return await self.run_turn(request, decision=decided, turn=turn)


def _within(turn: TurnTransaction | None) -> Any:
    """The checkpointer writes in `turn` within this block (when there is one)."""
    return turn.current() if turn is not None else nullcontext()
