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
from graph.nodes.guard import after_guard, guard
from graph.nodes.handoff import handoff
from graph.nodes.respond import respond
from graph.nodes.route import next_step, route
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
    """The node, followed by `choose` on the state as the node leaves it; when that is
    "respond", respond runs here too and the turn ends.

    What a conditional edge and a node of its own would do, without their cost: to show a
    router the state, LangGraph copies every channel of the graph (each state key and
    each node's trigger), and each step of the graph is a superstep of its own. The state
    keys have no reducers, so the node's update laid over the state is the state the
    router (or respond) would have read, and the updates laid one over the other are what
    the steps would have written."""

    async def run(state: ConversationState, runtime: Runtime[TurnContext]) -> Command[str]:
        update = await node(state, runtime=runtime)
        goto = choose({**state, **update})  # type: ignore[typeddict-item]
        if goto == "respond":
            update = {**update, **await _respond({**state, **update}, runtime=runtime)}  # type: ignore[typeddict-item]
            goto = END
        return Command(update=update, goto=goto)

    run.__name__ = getattr(node, "__name__", "node")
    return run


_guard = timed("guard", guard)
_classify = timed("classify", classify)
_route = timed("route", route)
_respond = timed("respond", respond)


async def understand(state: ConversationState, runtime: Runtime[TurnContext]) -> Command[str]:
    """guard, then classify and route as guard decides, then what route chose (respond:
    the turn ends here): one step of the graph for what every customer message runs,
    each part still timed under its own name in the trace."""
    update = await _guard(state, runtime=runtime)
    after: str = after_guard({**state, **update})  # type: ignore[typeddict-item]
    if after == "classify":
        update = {**update, **await _classify({**state, **update}, runtime=runtime)}  # type: ignore[typeddict-item]
        after = "route"
    if after == "route":
        update = {**update, **await _route({**state, **update}, runtime=runtime)}  # type: ignore[typeddict-item]
        after = next_step({**state, **update})  # type: ignore[typeddict-item]
    if after == "respond":
        update = {**update, **await _respond({**state, **update}, runtime=runtime)}  # type: ignore[typeddict-item]
        after = END
    return Command(update=update, goto=after)


def build_graph() -> StateGraph[ConversationState, TurnContext, Any, Any]:
    builder: StateGraph[ConversationState, TurnContext, Any, Any] = StateGraph(
        ConversationState, context_schema=TurnContext
    )
    # One node for what every message runs (guard, classify, route), then the steps; the
    # step "respond" is run by whichever node chooses it, which then ends the turn.
    # Destinations are for drawing.
    builder.add_node("understand", understand, destinations=(*WORKFLOW_NODES, END))
    for name, node in WORKFLOW_NODES.items():
        routed = then(timed(name, workflow_step(name, node)), next_step)
        builder.add_node(name, routed, destinations=(*WORKFLOW_NODES, END))
    builder.add_edge(START, "understand")
    return builder
