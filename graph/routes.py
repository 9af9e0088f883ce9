"""Where a turn goes, as one set of names: `workflow:<name>` (a written workflow or a
system step such as `faq`), `agent` or `human`.

Routes are built and taken apart only here, so the router, settle, the policy checks and
the console agree on them; the steps that can run a route are the graph's node table
(`graph/nodes/route.py` `Step`, checked against the builder's nodes).
"""

from __future__ import annotations

from typing import NewType

Route = NewType("Route", str)

HUMAN = Route("human")
AGENT = Route("agent")
WORKFLOW = "workflow"


def to_workflow(name: str) -> Route:
    """The route of workflow (or system step) `name`: `faq` → `workflow:faq`."""
    return Route(f"{WORKFLOW}:{name}")


def target_of(route: str) -> str:
    """The workflow or system step a route names: `workflow:faq` → `faq`; `human` stays."""
    return route.partition(":")[2] or route


def is_workflow_route(route: str) -> bool:
    kind, _, name = route.partition(":")
    return kind == WORKFLOW and bool(name)


def is_route(route: str) -> bool:
    """A route a policy may give an intent."""
    return route in (HUMAN, AGENT) or is_workflow_route(route)
