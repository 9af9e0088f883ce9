"""The policy drawn as a flowchart: intents → routes (a workflow, the agent, a person) →
each written workflow's steps and branches. `switchboard policy graph` prints it as
Mermaid; the admin console draws the same steps as SVG (switchboard/api/workflow_svg.py).

A written workflow becomes nodes and edges: `if` forks into then/else, a call with
`on_error` forks into its error block (which ends the workflow unresolved, as the runner
does), `end` and `handoff` stop a path, `reask` goes back to where the slot was asked, and a
path that runs out of steps ends resolved. A built-in (Python) workflow is one node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from graph.policy import Policy
from graph.workflow_language import STEP_KINDS, Call, If

TERMINAL = ("end", "handoff", "reask")
"""Kinds after which a path does not go on to the next step."""


def step_kind(step: Any) -> str:
    data = step.model_dump(by_alias=True) if isinstance(step, BaseModel) else step
    if isinstance(data, dict):
        for kind in STEP_KINDS:
            if kind in data:
                return kind
    return "step"


def fallback(step: Any) -> tuple[str, str, list[Any]] | None:
    """(key, edge label, steps) of a step's block for when it fails, which then ends the
    workflow: a call's `on_error`, an agent step's `else`."""
    if isinstance(step, Call) and step.on_error:
        return "on_error", "on error", list(step.on_error)
    if step_kind(step) == "agent" and getattr(step, "else_", None):
        return "else", "else", list(step.else_)
    return None


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_label(step: Any) -> str:
    """What a box shows after its kind: the slot, tool, condition or text."""
    kind = step_kind(step)
    value = step.model_dump(by_alias=True, exclude_none=True).get(kind)
    if isinstance(value, dict):
        if kind == "ticket":
            value = f"{value.get('category', '')} · {value.get('priority', '')}"
        elif kind == "handoff":
            value = value.get("reason", "")
        elif kind == "reply":  # one template per language: the first one
            value = next(iter(value.values()), "")
        elif kind == "agent":
            value = value.get("goal", "")
        else:  # set, fill: the names they give values to
            value = ", ".join(value)
    return _short(str(value if value is not None else ""))


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    path: str = ""
    """Where the step is written (`steps[3].else[0]`), as traces show it."""
    group: str = ""
    """The written workflow it belongs to."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    back: bool = False
    """Goes back to an earlier step (reask)."""


@dataclass
class Flow:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, id_: str, kind: str, label: str, path: str = "", group: str = "") -> str:
        self.nodes.append(Node(id_, kind, label, path, group))
        return id_

    def link(self, ends: list[tuple[str, str]], target: str) -> None:
        self.edges.extend(Edge(source, target, label) for source, label in ends)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def workflow_flow(name: str, steps: list[Any], flow: Flow | None = None) -> Flow:
    """The steps of one written workflow as nodes and edges, from a `w_<name>` entry node."""
    flow = flow if flow is not None else Flow()
    prefix = f"w_{_ident(name)}"
    start = flow.node(prefix, "workflow", name, group=name)
    asked: dict[str, str] = {}
    counter = iter(range(1_000_000))

    def block(items: list[Any], path: str, ends: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for position, step in enumerate(items):
            label = f"{path}[{position}]"
            kind = step_kind(step)
            here = flow.node(f"{prefix}_{next(counter)}", kind, step_label(step), label, name)
            flow.link(ends, here)
            ends = [(here, "")]
            if kind == "ask":
                asked.setdefault(step.ask, here)
            if isinstance(step, If):
                ends = block(step.then, f"{label}.then", [(here, "yes")])
                ends += block(step.else_, f"{label}.else", [(here, "no")])
            elif (failure := fallback(step)) is not None:
                key, edge, handler = failure
                failed = block(handler, f"{label}.{key}", [(here, edge)])
                if failed:
                    stop = flow.node(f"{prefix}_{next(counter)}", "end", "unresolved", group=name)
                    flow.link(failed, stop)
                ends = [(here, "ok")]
            elif kind == "reask":
                if step.reask in asked:
                    flow.edges.append(Edge(here, asked[step.reask], "ask again", back=True))
                ends = []
            elif kind in TERMINAL:
                ends = []
        return ends

    rest = block(steps, "steps", [(start, "")])
    if rest:
        flow.link(rest, flow.node(f"{prefix}_{next(counter)}", "end", "resolved", group=name))
    return flow


def policy_flow(policy: Policy, workflow: str | None = None) -> Flow:
    """Intents and their routes, then every workflow they (or the file) name; with
    `workflow`, only that one and the intents routed to it."""
    flow = Flow()
    routes: dict[str, str] = {}
    for intent, entry in policy.intents.items():
        kind, _, target = entry.route.partition(":")
        if workflow is not None and target != workflow:
            continue
        source = flow.node(f"i_{_ident(intent)}", "intent", intent)
        if kind == "workflow":
            routes.setdefault(target, f"w_{_ident(target)}")
            flow.edges.append(Edge(source, routes[target]))
        else:
            routes.setdefault(kind, flow.node(f"r_{kind}", "route", kind))
            flow.edges.append(Edge(source, routes[kind]))
    names = [workflow] if workflow is not None else list(policy.workflows)
    names += [n for n in routes if n not in names and n not in ("agent", "human")]
    for name in names:
        written = policy.workflows.get(name)
        if written is not None and written.steps is not None:
            workflow_flow(name, written.steps, flow)
        else:
            flow.node(f"w_{_ident(name)}", "builtin", name)
    return flow


_SHAPES = {
    "intent": ('(["', '"])'),
    "route": ('[["', '"]]'),
    "workflow": ('[/"', '"/]'),
    "builtin": ('[["', '"]]'),
    "if": ('{"', '"}'),
    "end": ('(("', '"))'),
}


def _text(value: str) -> str:
    """Mermaid reads `#name;` as an entity, so `#` itself is written as one first."""
    value = value.replace("#", "#35;")
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(flow: Flow) -> str:
    """A Mermaid `flowchart TD`; labels quoted, so templates and quotes print as written."""
    lines = ["flowchart TD"]
    group = ""
    for node in flow.nodes:
        if node.group != group:
            if group:
                lines.append("  end")
            if node.group:
                lines.append(f'  subgraph g_{_ident(node.group)}["{_text(node.group)}"]')
            group = node.group
        opening, closing = _SHAPES.get(node.kind, ('["', '"]'))
        if node.kind in ("intent", "route", "end"):
            text = node.label if node.kind != "end" else f"end: {node.label}"
        elif node.kind == "workflow":
            text = f"workflow: {node.label}"
        elif node.kind == "builtin":
            text = f"workflow: {node.label} (built-in)"
        else:
            text = f"{node.kind}: {node.label}" if node.label else node.kind
        lines.append(f"  {'  ' if group else ''}{node.id}{opening}{_text(text)}{closing}")
    if group:
        lines.append("  end")
    for edge in flow.edges:
        arrow = "-.->" if edge.back else "-->"
        label = f"|{_text(edge.label)}|" if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"
