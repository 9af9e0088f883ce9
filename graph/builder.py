"""The graph's shape. The uncompiled builder is exported so tests compile it with any saver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from graph.context import TurnContext
from graph.nodes.agent import agent
from graph.nodes.cancel import cancel
from graph.nodes.clarify import clarify
from graph.nodes.classify import classify
from graph.nodes.csat import csat
from graph.nodes.faq import faq
from graph.nodes.follow_up import follow_up
from graph.nodes.greeting import greeting
from graph.nodes.guard import AFTER_GUARD, after_guard, guard
from graph.nodes.handoff import handoff
from graph.nodes.respond import respond
from graph.nodes.route import STEPS, next_step, route
from graph.nodes.settle import settle
from graph.nodes.smalltalk import smalltalk
from graph.nodes.workflow import run_workflow
from graph.stack import top
from graph.state import ConversationState


class Node(Protocol):
    """A graph node: LangGraph passes the run's context as the keyword `runtime`."""

    def __call__(
        self, state: ConversationState, *, runtime: Runtime[TurnContext]
    ) -> Awaitable[dict[str, Any]]: ...


class RoutedNode(Protocol):
    """A node that also says where the turn goes next (see `then`)."""

    def __call__(
        self, state: ConversationState, *, runtime: Runtime[TurnContext]
    ) -> Awaitable[Command[str]]: ...


WORKFLOW_NODES: dict[str, Node] = {
    "faq": faq,
    "follow_up": follow_up,
    "greeting": greeting,
    "smalltalk": smalltalk,
    "clarify": clarify,
    "handoff": handoff,
    "agent": agent,
    "cancel": cancel,
    "csat": csat,
    "workflow": run_workflow,
}
ADDITIVE = ("replies", "did")
"""Keys a workflow step adds to rather than replaces: one turn may run several steps."""


def timed(name: str, node: Node) -> Node:
    """Record the node in the turn's trace with its wall time; the generic workflow node
    under the name of the written workflow it runs, so traces show `billing_issue`."""

    async def run(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        started = perf_counter()
        shown = name
        if name == "workflow":
            shown = (top(list(state.get("stack") or [])) or {}).get("name") or name
        try:
            return await node(state, runtime=runtime)
        finally:
            runtime.context.trace.record(shown, (perf_counter() - started) * 1000)

    run.__name__ = name
    return run


def workflow_step(name: str, node: Node) -> Node:
    """A workflow node as one step of a turn: its replies follow those of earlier steps
    (a digression's answer, then "Back to your order"), then settle decides what is next
    (inline rather than a node of its own: traces show the workflows that ran)."""

    async def run(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        update = dict(await node(state, runtime=runtime))
        for key in ADDITIVE:
            if key in update:
                update[key] = [*(state.get(key) or []), *update[key]]  # type: ignore[misc]
        update["step"] = update.get("step") or name  # a written workflow names itself
        settled = await settle({**state, **update}, runtime)  # type: ignore[typeddict-item]
        return {**update, **settled}

    run.__name__ = name
    return run


def then(node: Node, choose: Callable[[ConversationState], str]) -> RoutedNode:
    """The node, followed by `choose` on the state as the node leaves it.

    What a conditional edge does, without its cost: to show a router the state, LangGraph
    copies every channel of the graph (each state key and each node's trigger), which
    was 6% of a turn's time on the event loop. The state keys have no reducers, so the
    node's update laid over the state is the state the router would have read."""

    async def run(state: ConversationState, runtime: Runtime[TurnContext]) -> Command[str]:
        update = await node(state, runtime=runtime)
        return Command(update=update, goto=choose({**state, **update}))  # type: ignore[typeddict-item]

    run.__name__ = getattr(node, "__name__", "node")
    return run


def build_graph() -> StateGraph[ConversationState, TurnContext, Any, Any]:
    builder: StateGraph[ConversationState, TurnContext, Any, Any] = StateGraph(
        ConversationState, context_schema=TurnContext
    )
    builder.add_node("guard", then(timed("guard", guard), after_guard), destinations=AFTER_GUARD)
    builder.add_node("classify", timed("classify", classify))
    # Destinations (for drawing the graph): every step, and "respond" ends the turn.
    builder.add_node("route", then(timed("route", route), next_step), destinations=STEPS)
    builder.add_node("respond", timed("respond", respond))
    for name, node in WORKFLOW_NODES.items():
        routed = then(timed(name, workflow_step(name, node)), next_step)
        builder.add_node(name, routed, destinations=STEPS)
    builder.add_edge(START, "guard")
    builder.add_edge("classify", "route")
    builder.add_edge("respond", END)
    return builder
