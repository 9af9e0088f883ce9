"""The console's Workflows page: which intents go where, and each written workflow drawn
as the SVG the server renders (switchboard/api/workflow_svg.py), so a team sees the
process it wrote without Mermaid, a script or a CDN. A built-in workflow is named only."""

from __future__ import annotations

from html import escape

from graph.i18n import pick
from graph.policy import Policy
from switchboard.api.console_page import document, table
from switchboard.api.workflow_svg import workflow_svg

WORKFLOWS_STYLE = (
    ".diagram{overflow:auto;max-width:100%;background:#fff;border:1px solid var(--line);"
    "border-radius:8px;margin-top:8px}.diagram svg{display:block}"
)


def _routes(policy: Policy) -> str:
    rows = []
    for intent, entry in policy.intents.items():
        kind, _, target = entry.route.partition(":")
        if target in policy.workflows:
            where = f'<a href="#workflow-{escape(target)}">{escape(target)}</a>'
        else:  # the agent, a person, or a built-in workflow (not drawn)
            where = escape(f"{target} (built in)" if target else kind)
        rows.append([escape(intent), escape(kind), where, escape(entry.description or "–")])
    return table("routes", ["Intent", "Route", "Goes to", "Description"], rows, "No intents.")


def workflows_page(policy: Policy, *, counts: dict[str, int]) -> str:
    routed: dict[str, list[str]] = {}
    for intent, entry in policy.intents.items():
        kind, _, target = entry.route.partition(":")
        if kind == "workflow":
            routed.setdefault(target, []).append(intent)
    sections = []
    for name, workflow in policy.workflows.items():
        facts = [f"label “{escape(pick(workflow.label, policy.language))}”"]
        if workflow.requires == "verified":
            facts.append("verified customers only")
        if policy.writes(name):
            facts.append("writes (tickets, notices or approvals)")
        intents = ", ".join(escape(i) for i in routed.get(name, [])) or "no intent"
        facts.append(f"from: {intents}")
        if workflow.steps is None:
            drawing = '<p class="muted">Built in (Python): one node in the graph.</p>'
        else:
            drawing = f'<div class="diagram">{workflow_svg(name, workflow.steps)}</div>'
        sections.append(
            f'<section class="panel" id="workflow-{escape(name)}"><h2>{escape(name)}</h2>'
            f'<p class="muted">{" · ".join(facts)}</p>{drawing}</section>'
        )
    body = (
        f"<style>{WORKFLOWS_STYLE}</style>"
        '<section class="panel"><h2>Intents and routes</h2>'
        + _routes(policy)
        + "</section>"
        + "".join(sections)
    )
    return document("Workflows", "workflows", counts, body)
