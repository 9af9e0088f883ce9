"""Running one turn: the compiled graph with the SQL checkpointer, one checkpoint per turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.builder import build_graph
from graph.context import TurnContext
from graph.entities import entity_names
from graph.intents import IntentClassifier
from graph.policy import Policy
from graph.state import Reply
from storage.checkpoints import prune_thread
from tools.base import Caller, ToolBox


@dataclass(frozen=True)
class TurnRequest:
    conversation_id: int
    message_id: int
    channel: str
    text: str
    customer_id: int | None = None
    customer_name: str | None = None
    customer_vip: bool = False


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


class TurnRunner:
    def __init__(
        self,
        *,
        saver: BaseCheckpointSaver[str],
        policy: Policy,
        classifier: IntentClassifier,
        sessions: async_sessionmaker[AsyncSession],
        max_chars: int = 4000,
    ) -> None:
        self._saver = saver
        self._graph = build_graph().compile(checkpointer=saver)
        self.policy = policy
        self.classifier = classifier
        self._sessions = sessions
        self._max_chars = max_chars

    async def run_turn(self, request: TurnRequest) -> TurnOutcome:
        started = perf_counter()
        caller = Caller(
            conversation_id=request.conversation_id,
            message_id=request.message_id,
            channel=request.channel,
            customer_id=request.customer_id,
        )
        context = TurnContext(
            policy=self.policy,
            classifier=self.classifier,
            tools=ToolBox(self._sessions, caller),
            company=self.policy.company,
            customer_name=request.customer_name,
            customer_vip=request.customer_vip,
            max_chars=self._max_chars,
        )
        thread_id = str(request.conversation_id)
        state: dict[str, Any] = await self._graph.ainvoke(
            {"message_id": request.message_id, "text": request.text, "channel": request.channel},
            {"configurable": {"thread_id": thread_id}},
            context=context,
            durability="exit",  # one checkpoint per turn, written when the turn ends
        )
        await prune_thread(self._saver, thread_id)
        return TurnOutcome(
            replies=list(state.get("replies") or []),
            intent=state.get("intent"),
            confidence=state.get("confidence"),
            route=state.get("route"),
            entities=entity_names(state.get("entities") or {}),
            node_path=context.trace.node_path,
            node_ms=context.trace.node_ms,
            tools=context.tools.calls,
            total_ms=round((perf_counter() - started) * 1000, 3),
        )
