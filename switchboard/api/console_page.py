"""HTML of the admin console's lists: conversations, tickets, approvals, dead letters.

Same look as the analytics page (its stylesheet plus a few rules), server-rendered; the
one script (live updates) goes after `main`, never in it. Everything from the database goes through `escape`: customers type what they like.
On a phone, list tables turn into one card per row, each cell labelled.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from switchboard.api.analytics_page import STYLE
from switchboard.api.console_data import ConversationFilter, Page

CONSOLE_STYLE = """
nav{display:flex;gap:4px;flex-wrap:wrap;align-items:center}
nav a{padding:6px 10px;border-radius:6px;text-decoration:none}
nav a[aria-current]{background:var(--bg);font-weight:600}
.badge{display:inline-block;min-width:20px;padding:0 6px;border-radius:10px;background:var(--human);
color:#fff;font-size:12px;text-align:center;margin-left:4px}
.panel{margin-bottom:16px}.muted{color:var(--muted)}.flash{background:#e8f5ee;border-color:#b7e0c8}
.flash.bad{background:#fdeceb;border-color:#f3c1bd}
.chip{display:inline-block;padding:1px 8px;border-radius:10px;background:var(--bg);
border:1px solid var(--line);font-size:12px;white-space:nowrap}
.chip.human{background:#fdf1e4;border-color:#f2cfa5}.chip.closed{color:var(--muted)}
td.text{max-width:360px;overflow-wrap:anywhere}
form.inline{display:inline}button.deny{background:#b3261e}button.quiet{background:#5b6577}
.pager{display:flex;gap:12px;margin-top:10px}
.msg{max-width:760px;margin:10px 0;padding:8px 12px;border-radius:10px;border:1px solid var(--line);
background:var(--card);overflow-wrap:anywhere;white-space:pre-wrap}
.msg.customer{margin-right:auto}.msg.bot{margin-left:auto;background:#eef3fd}
.msg.staff{margin-left:auto;background:#fdf1e4}.msg.note{background:#fffbe6;border-style:dashed}.meta{font-size:12px;color:var(--muted);white-space:normal}
.trace{max-width:760px;margin:0 0 14px;padding:8px 12px;border-left:3px solid var(--accent);
background:var(--card);font-size:13px}.trace dl{display:grid;grid-template-columns:max-content 1fr;
gap:2px 12px;margin:0}.trace dt{color:var(--muted)}.trace dd{margin:0;overflow-wrap:anywhere}
@media (max-width:720px){table.list tr:first-child{display:none}
table.list tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
table.list td{display:flex;gap:8px;border:0;padding:2px 0}
table.list td::before{content:attr(data-label);color:var(--muted);min-width:90px}
table.list td.empty::before{display:none}
td.text{max-width:none}.msg{max-width:100%}}
"""

SECTIONS = [
    ("inbox", "Inbox", "/admin/inbox"),
    ("conversations", "Conversations", "/admin"),
    ("tickets", "Tickets", "/admin/tickets"),
    ("approvals", "Approvals", "/admin/approvals"),
    ("dead_letters", "Dead letters", "/admin/dead-letters"),
    ("workflows", "Workflows", "/admin/workflows"),
    ("analytics", "Analytics", "/admin/analytics"),
]


def when(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def document(
    title: str, current: str, counts: dict[str, int], body: str, flash: str = "", script: str = ""
) -> str:
    """A console page; `script` (ours, never data) goes after `main`, which holds only
    escaped markup."""
    links = []
    for key, label, href in SECTIONS:
        badge = f'<span class="badge">{counts[key]}</span>' if counts.get(key) else ""
        here = ' aria-current="page"' if key == current else ""
        links.append(f'<a href="{href}"{here}>{label}{badge}</a>')
    header = (
        f'<header><h1>Switchboard admin</h1><nav aria-label="Sections">{"".join(links)}</nav>'
        '<form method="post" action="/admin/logout"><button type="submit" class="quiet">'
        "Sign out</button></form></header>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Switchboard admin</title>"
        f"<style>{STYLE}{CONSOLE_STYLE}</style></head><body>{header}<main>{flash}{body}</main>"
        f"{script}</body></html>"
    )


def flash_box(message: str | None, ok: bool = True) -> str:
    if not message:
        return ""
    return f'<div class="panel flash{"" if ok else " bad"}" role="status">{escape(message)}</div>'


def table(table_id: str, headers: list[str], rows: list[list[str]], empty: str) -> str:
    """Cells are HTML already escaped by the caller; headers label the cells on a phone."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}" class="empty">{escape(empty)}</td></tr>'
    else:
        body = "".join(
            "<tr>"
            + "".join(
                f'<td data-label="{escape(h)}">{cell}</td>'
                for h, cell in zip(headers, row, strict=True)
            )
            + "</tr>"
            for row in rows
        )
    return f'<table class="list" id="{table_id}"><tr>{head}</tr>{body}</table>'


def pager(path: str, params: dict[str, str], page: Page, key: str = "before") -> str:
    links = []
    if key in params:
        first = {k: v for k, v in params.items() if k != key}
        links.append(f'<a href="{path}{_qs(first)}">First page</a>')
    if page.next_key is not None:
        following = {**params, key: str(page.next_key)}
        links.append(f'<a href="{path}{_qs(following)}" rel="next">Next page</a>')
    return f'<div class="pager">{"".join(links)}</div>' if links else ""


def _qs(params: dict[str, str]) -> str:
    return escape("?" + urlencode(params)) if params else ""


def _select(name: str, label: str, options: list[str], chosen: str | None) -> str:
    items = [f'<option value="">{escape(label)}: all</option>'] + [
        f'<option value="{escape(o)}"{" selected" if o == chosen else ""}>{escape(o)}</option>'
        for o in options
    ]
    return f'<select name="{name}" aria-label="{escape(label)}">{"".join(items)}</select>'


def conversations_page(
    page: Page,
    where: ConversationFilter,
    *,
    channels: list[str],
    intents: list[str],
    counts: dict[str, int],
    before: int | None,
) -> str:
    form = (
        '<form class="window panel" method="get" action="/admin" id="filters">'
        + _select("mode", "Mode", ["bot", "human", "closed"], where.mode)
        + _select("channel", "Channel", channels, where.channel)
        + _select("intent", "Intent", intents, where.intent)
        + '<label>From <input type="date" name="since" '
        f'value="{escape(where.since.isoformat() if where.since else "")}"></label>'
        '<label>To <input type="date" name="until" '
        f'value="{escape(where.until.isoformat() if where.until else "")}"></label>'
        '<input name="customer" placeholder="customer id" aria-label="Customer" size="12" '
        f'value="{escape(where.customer or "")}"><button type="submit">Filter</button>'
        '<a href="/admin">Clear</a></form>'
    )
    rows = []
    for conversation, user_id, turns, last_text in page.rows:
        link = f'<a href="/admin/conversations/{conversation.id}">#{conversation.id}</a>'
        mode = str(conversation.mode)
        rows.append(
            [
                link,
                escape(when(conversation.updated_at)),
                escape(conversation.channel),
                escape(user_id or "unverified"),
                f'<span class="chip {escape(mode)}">{escape(mode)}</span>'
                + (f" {escape(conversation.assignee)}" if conversation.assignee else ""),
                escape(conversation.last_intent or "–"),
                str(int(turns or 0)),
                f'<span class="text">{escape(_short(last_text or ""))}</span>',
            ]
        )
    headers = ["#", "Updated", "Channel", "Customer", "Mode", "Intent", "Turns", "Last message"]
    params = {**where.query(), **({"before": str(before)} if before else {})}
    body = (
        form
        + '<section class="panel"><h2>Conversations</h2>'
        + table("conversations", headers, rows, "No conversations match.")
        + pager("/admin", params, page)
        + "</section>"
    )
    return document("Conversations", "conversations", counts, body)


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tickets_page(
    page: Page,
    *,
    status: str | None,
    customer: str | None,
    counts: dict[str, int],
    params: dict[str, str],
) -> str:
    form = (
        '<form class="window panel" method="get" action="/admin/tickets">'
        + _select("status", "Status", ["open", "pending", "solved", "closed"], status)
        + '<input name="customer" placeholder="customer id" aria-label="Customer" size="12" '
        f'value="{escape(customer or "")}"><button type="submit">Filter</button></form>'
    )
    rows = [
        [
            f"<strong>{escape(t.number)}</strong>",
            escape(when(t.created_at)),
            escape(user_id or "–"),
            escape(t.category),
            f'<span class="chip">{escape(t.priority)}</span>',
            escape(t.status),
            f'<span class="text">{escape(_short(t.summary))}</span>',
            f'<a href="/admin/conversations/{t.conversation_id}">#{t.conversation_id}</a>'
            if t.conversation_id
            else "–",
        ]
        for t, user_id in page.rows
    ]
    headers = ["Ticket", "Created", "Customer", "Category", "Priority", "Status", "Summary", "Chat"]
    body = (
        form
        + '<section class="panel"><h2>Tickets</h2>'
        + table("tickets", headers, rows, "No tickets match.")
        + pager("/admin/tickets", params, page)
        + "</section>"
    )
    return document("Tickets", "tickets", counts, body)


def action_form(
    action: str, form_token: str, button: str, *, extra: str = "", css: str = ""
) -> str:
    return (
        f'<form class="inline" method="post" action="{escape(action)}">'
        f'<input type="hidden" name="form_token" value="{escape(form_token)}">{extra}'
        f'<button type="submit"{f" class={css!r}" if css else ""}>{escape(button)}</button></form>'
    )


def decision_buttons(approval_id: int, form_token: str, back: str) -> str:
    action = f"/admin/approvals/{approval_id}"
    hidden = f'<input type="hidden" name="back" value="{escape(back)}">'
    return (
        action_form(
            action,
            form_token,
            "Approve",
            extra=hidden + '<input type="hidden" name="decision" value="approve">',
        )
        + " "
        + action_form(
            action,
            form_token,
            "Deny",
            extra=hidden + '<input type="hidden" name="decision" value="deny">',
            css="deny",
        )
    )


def arguments_text(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in arguments.items()) or "–"


def approvals_page(
    page: Page, *, form_token: str, counts: dict[str, int], params: dict[str, str], flash: str
) -> str:
    rows = [
        [
            f'<span data-approval="{a.id}">{a.id}</span>',
            escape(when(a.created_at)),
            f'<a href="/admin/conversations/{a.conversation_id}">#{a.conversation_id}</a>',
            f"<code>{escape(a.tool)}</code>",
            f'<span class="text">{escape(_short(arguments_text(a.arguments), 200))}</span>',
            f'<span class="text">{escape(a.summary)}</span>',
            decision_buttons(a.id, form_token, "/admin/approvals"),
        ]
        for a in page.rows
    ]
    headers = ["#", "Asked", "Chat", "Tool", "Arguments", "Summary", "Decision"]
    body = (
        '<section class="panel"><h2>Approvals waiting</h2>'
        '<p class="muted">Approving carries the action out at once and tells the customer; '
        "the same decision as the Approve/Deny buttons in Slack, recorded once.</p>"
        + table("approvals", headers, rows, "Nothing waits for a decision.")
        + pager("/admin/approvals", params, page, key="after")
        + "</section>"
    )
    return document("Approvals", "approvals", counts, body, flash)


def dead_letters_page(
    page: Page, *, form_token: str, counts: dict[str, int], params: dict[str, str], flash: str
) -> str:
    rows = [
        [
            f'<span data-outbox="{m.id}">{m.id}</span>',
            escape(when(m.created_at)),
            f'<a href="/admin/conversations/{m.conversation_id}">#{m.conversation_id}</a>',
            escape(m.channel),
            str(m.attempts),
            f'<span class="text">{escape(m.error or "–")}</span>',
            f'<span class="text">{escape(_short(m.text))}</span>',
            action_form(f"/admin/dead-letters/{m.id}/retry", form_token, "Retry"),
        ]
        for m in page.rows
    ]
    headers = ["#", "Written", "Chat", "Channel", "Attempts", "Error", "Reply", "Action"]
    body = (
        '<section class="panel"><h2>Dead letters</h2>'
        '<p class="muted">Replies the channel refused or never accepted after every retry. '
        "Retry sends one again, in order with the rest of its conversation.</p>"
        + table("dead-letters", headers, rows, "No undelivered replies.")
        + pager("/admin/dead-letters", params, page)
        + "</section>"
    )
    return document("Dead letters", "dead_letters", counts, body, flash)
