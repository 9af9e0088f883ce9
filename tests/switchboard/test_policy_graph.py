"""A written workflow drawn as nodes and edges: branches, error blocks, ends, reasks."""

from __future__ import annotations

from graph.policy import WorkflowPolicy
from switchboard.policy_tools.flowchart import Flow, mermaid, workflow_flow
from tests.graph.test_written_workflows import DELIVERY_CHECK


def _delivery() -> Flow:
    steps = WorkflowPolicy.model_validate(DELIVERY_CHECK).steps or []
    return workflow_flow("delivery_check", steps)


def _edges(flow: Flow) -> set[tuple[str, str, str]]:
    by_id = {node.id: node for node in flow.nodes}

    def name(node_id: str) -> str:
        node = by_id[node_id]
        return node.path or f"{node.kind}:{node.label}"

    return {(name(e.source), name(e.target), e.label) for e in flow.edges}


def test_the_delivery_check_is_drawn_step_by_step_with_its_branches() -> None:
    flow = _delivery()
    kinds = [(node.path, node.kind) for node in flow.nodes if node.path]
    assert kinds == [
        ("steps[0]", "ask"),
        ("steps[1]", "call"),
        ("steps[2]", "if"),
        ("steps[2].then[0]", "reask"),
        ("steps[3]", "if"),
        ("steps[3].then[0]", "reply"),
        ("steps[3].then[1]", "end"),
        ("steps[3].else[0]", "ticket"),
        ("steps[3].else[1]", "notify"),
        ("steps[3].else[2]", "reply"),
    ]
    assert _edges(flow) == {
        ("workflow:delivery_check", "steps[0]", ""),
        ("steps[0]", "steps[1]", ""),
        ("steps[1]", "steps[2]", ""),
        ("steps[2]", "steps[2].then[0]", "yes"),
        ("steps[2].then[0]", "steps[0]", "ask again"),
        ("steps[2]", "steps[3]", "no"),
        ("steps[3]", "steps[3].then[0]", "yes"),
        ("steps[3].then[0]", "steps[3].then[1]", ""),
        ("steps[3]", "steps[3].else[0]", "no"),
        ("steps[3].else[0]", "steps[3].else[1]", ""),
        ("steps[3].else[1]", "steps[3].else[2]", ""),
        ("steps[3].else[2]", "end:resolved", ""),  # ran out of steps: resolved
    }
    labels = {node.path: node.label for node in flow.nodes}
    assert labels["steps[1]"] == "orders.get"
    assert labels["steps[3]"] == "order.status == 'delivered'"
    assert labels["steps[3].else[0]"].startswith("orders · ")


def test_an_on_error_block_forks_and_ends_unresolved() -> None:
    steps = WorkflowPolicy.model_validate(
        {
            "label": "x",
            "steps": [
                {"call": "orders.get", "on_error": [{"reply": "Our order system is down."}]},
                {"reply": "Found it."},
            ],
        }
    ).steps
    flow = workflow_flow("x", steps or [])
    assert _edges(flow) == {
        ("workflow:x", "steps[0]", ""),
        ("steps[0]", "steps[0].on_error[0]", "on error"),
        ("steps[0].on_error[0]", "end:unresolved", ""),
        ("steps[0]", "steps[1]", "ok"),
        ("steps[1]", "end:resolved", ""),
    }


def test_mermaid_quotes_labels_and_groups_each_workflow() -> None:
    text = mermaid(_delivery())
    assert text.startswith("flowchart TD\n")
    assert '  subgraph g_delivery_check["delivery_check"]\n' in text
    assert "{\"if: order.status == 'delivered'\"}" in text
    assert " -.->|ask again| " in text and " -->|no| " in text
    assert '"' not in text.replace('["', "").replace('"]', "").replace('{"', "").replace(
        '"}', ""
    ).replace('(("', "").replace('"))', "").replace('[/"', "").replace('"/]', "")


def test_mermaid_writes_entities_for_what_it_would_misread() -> None:
    steps = WorkflowPolicy.model_validate(
        {"label": "x", "steps": [{"reply": 'Order #{{ n }} is "<ok>"'}]}
    ).steps
    text = mermaid(workflow_flow("x", steps or []))
    assert '["reply: Order #35;{{ n }} is #quot;#lt;ok#gt;#quot;"]' in text


def test_an_agent_step_forks_into_its_else() -> None:
    steps = WorkflowPolicy.model_validate(
        {
            "label": "x",
            "steps": [
                {
                    "agent": {"goal": "Explain the charges", "tools": ["kb.search"]},
                    "as": "answer",
                    "else": [{"handoff": {"reason": "charges question"}}],
                },
                {"end": "resolved"},
            ],
        }
    ).steps
    flow = workflow_flow("x", steps or [])
    assert _edges(flow) == {
        ("workflow:x", "steps[0]", ""),
        ("steps[0]", "steps[0].else[0]", "else"),
        ("steps[0]", "steps[1]", "ok"),
    }
    assert {node.path: node.label for node in flow.nodes}["steps[0]"] == "Explain the charges"
