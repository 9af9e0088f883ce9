"""HTML of one conversation: the transcript with each turn's trace under the customer's
message (node path with per-node latency, intent and confidence, route, tools, LLM calls
with tokens and cost), then its tickets, approvals and handoffs."""

from __future__ import annotations

from html import escape
from typing import Any

from graph.language import language_name
from storage.models import Direction, Message, Trace
from switchboard.api.console_page import (
    arguments_text,
    decision_buttons,
    document,
    table,
    when,
)


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def _tools(trace: Trace) -> str:
    """Each tool call with its arguments, a short result (or error) and its time; personal
    data was masked before the trace was written."""
    if not trace.tool_calls:
        return escape(", ".join(trace.tools) or "none")
    rows = "".join(
        f"<li><code>{escape(str(c.get('tool', '?')))}({escape(str(c.get('arguments', '')))})"
        f"</code> · {_ms(c.get('ms'))} → "
        + (
            f"<strong>{escape(str(c['error']))}</strong>"
            if c.get("error")
            else f"<code>{escape(str(c.get('result', '')))}</code>"
        )
        + "</li>"
        for c in trace.tool_calls
    )
    return f"<ul>{rows}</ul>"


def _llm_calls(trace: Trace) -> str:
    if not trace.llm:
        return "none"
    rows = "".join(
        f"<li>{escape(str(c.get('purpose', '?')))} · {escape(str(c.get('model', '?')))} · "
        f"{int(c.get('prompt_tokens') or 0)}+{int(c.get('completion_tokens') or 0)} tokens · "
        f"{_ms(c.get('latency_ms'))} · ${float(c.get('cost_usd') or 0):.5f}"
        + (f" · <strong>{escape(str(c['error']))}</strong>" if c.get("error") else "")
        + "</li>"
        for c in trace.llm
    )
    return f'<ul style="margin:0;padding-left:16px">{rows}</ul>'


def trace_block(trace: Trace) -> str:
    path = " → ".join(
        f"{escape(node)} <span class='meta'>{_ms(trace.node_ms.get(node))}</span>"
        for node in trace.node_path
    )
    confidence = "–" if trace.confidence is None else f"{trace.confidence:.2f}"
    dialogue = trace.entities.get("dialogue") or {}
    entities = trace.entities.get("names") or []
    rows = [
        ("Intent", f"{escape(trace.intent or '–')} ({confidence})"),
        ("Language", escape(trace.language or "–")),
        ("Route", escape(trace.route or "–")),
        ("Path", path or "–"),
        ("Tools", _tools(trace)),
        ("LLM", _llm_calls(trace)),
        ("Tokens · cost", f"{trace.tokens} · ${trace.cost_usd:.5f}"),
        ("Turn time", _ms(trace.total_ms)),
        ("Steps", escape(" → ".join(trace.steps)) if trace.steps else "–"),
        ("Policy", escape(trace.policy_version or "–")),
    ]
    if entities:
        rows.insert(2, ("Entities", escape(", ".join(map(str, entities)))))
    if dialogue.get("active"):
        asks = f", asking for {dialogue['asks_for']}" if dialogue.get("asks_for") else ""
        rows.append(("Workflow", escape(f"{dialogue['active']}{asks}")))
    cells = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<div class="trace" data-trace="{trace.message_id}"><dl>{cells}</dl></div>'


def _message(message: Message, translation: str | None = None) -> str:
    role = str(message.role)
    author = f" · {escape(message.author)}" if message.author else ""
    status = "" if message.direction == Direction.inbound else f" · {escape(message.status)}"
    error = f" · {escape(message.error)}" if message.error else ""
    return (
        f'<div class="msg {escape(role)}" data-message="{message.id}">'
        f'<div class="meta">{escape(role)}{author} · {escape(when(message.created_at))}{status}{error}</div>'
        f"{escape(message.text)}"
        + (f'<div class="translation"><em>{escape(translation)}</em></div>' if translation else "")
        + "</div>"
    )


def conversation_page(
    detail: dict[str, Any],
    *,
    form_token: str,
    counts: dict[str, int],
    after: int,
    flash: str,
    staff_panel: str = "",
    live_script: str = "",
    translations: dict[int, str] | None = None,
) -> str:
    """The transcript with traces; `staff_panel` (take, reply, notes) under it, and the
    transcript kept live by `live_script`. A customer message in another language shows
    its `translations` entry under the original."""
    conversation = detail["conversation"]
    customer = detail["customer"]
    who = escape(customer.user_id) if customer else "unverified visitor"
    if customer and customer.vip:
        who += ' <span class="chip human">VIP</span>'
    facts = (
        f'<p class="meta">{escape(conversation.channel)} · {who} · '
        f'<span class="chip {escape(str(conversation.mode))}">{escape(str(conversation.mode))}</span>'
        f"{' · ' + escape(conversation.assignee) if conversation.assignee else ''}"
        f"{' · in ' + escape(language_name(conversation.language)) if conversation.language else ''}"
        f" · started {escape(when(conversation.created_at))}"
        # The same admin sign-in opens the API route; `switchboard eval` replays the file.
        f' · <a href="/api/admin/conversations/{conversation.id}/scenario" download>'
        "Download as a test scenario</a></p>"
    )
    parts = []
    for message in detail["messages"]:
        parts.append(_message(message, (translations or {}).get(message.id)))
        trace = detail["traces"].get(message.id)
        if trace is not None:
            parts.append(trace_block(trace))
    transcript = "".join(parts) or '<p class="empty">No messages on this page.</p>'
    path = f"/admin/conversations/{conversation.id}"
    links = []
    if after:
        links.append(f'<a href="{path}">From the start</a>')
    if detail["next_after"] is not None:
        links.append(f'<a href="{path}?after={detail["next_after"]}" rel="next">Later messages</a>')
    pager = f'<div class="pager">{"".join(links)}</div>' if links else ""
    body = (
        f'<section class="panel"><h2>Conversation #{conversation.id}</h2>{facts}'
        f'<div id="transcript" data-live="{conversation.id}">{transcript}</div>{pager}</section>'
        + staff_panel
        + _tickets(detail["tickets"])
        + _approvals(detail["approvals"], form_token, path)
        + _handoffs(detail["handoffs"])
    )
    return document(
        f"Conversation #{conversation.id}",
        "conversations",
        counts,
        body,
        flash,
        script=live_script,
    )


def _tickets(tickets: list[Any]) -> str:
    rows = [
        [
            f"<strong>{escape(t.number)}</strong>",
            escape(t.category),
            escape(t.priority),
            escape(t.status),
            f'<span class="text">{escape(t.summary)}</span>',
        ]
        for t in tickets
    ]
    headers = ["Ticket", "Category", "Priority", "Status", "Summary"]
    return (
        '<section class="panel"><h2>Tickets</h2>'
        + table("conversation-tickets", headers, rows, "No tickets.")
        + "</section>"
    )


def _approvals(approvals: list[Any], form_token: str, back: str) -> str:
    rows = [
        [
            str(a.id),
            f"<code>{escape(a.tool)}</code>",
            f'<span class="text">{escape(arguments_text(a.arguments))}</span>',
            escape(a.status) + (f" by {escape(a.decided_by)}" if a.decided_by else ""),
            decision_buttons(a.id, form_token, back) if a.status == "pending" else "",
        ]
        for a in approvals
    ]
    headers = ["#", "Tool", "Arguments", "Status", "Decision"]
    return (
        '<section class="panel"><h2>Approvals</h2>'
        + table("conversation-approvals", headers, rows, "No approvals asked.")
        + "</section>"
    )


def _handoffs(handoffs: list[Any]) -> str:
    rows = [
        [
            escape(when(h.created_at)),
            escape(h.reason),
            escape(h.status),
            escape(h.assignee or "–"),
            escape(when(h.resolved_at)),
        ]
        for h in handoffs
    ]
    headers = ["Opened", "Reason", "Status", "Assignee", "Resolved"]
    return (
        '<section class="panel"><h2>Handoffs</h2>'
        + table("conversation-handoffs", headers, rows, "Never handed to a person.")
        + "</section>"
    )
