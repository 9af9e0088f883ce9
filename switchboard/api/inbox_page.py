"""HTML of the staff inbox and of the staff panel on a conversation: server-rendered,
escaped, kept live by the console's small script (`LIVE_SCRIPT`), which re-reads the page
and swaps the `data-live` parts when the server says a conversation changed."""

from __future__ import annotations

from html import escape
from typing import Any

from storage.models import Mode, StaffNote
from switchboard.api.console_page import action_form, document, table, when
from switchboard.api.inbox_data import OpenHandoff
from switchboard.desk.handoffs import MAX_TEXT

LIVE_SCRIPT = """<script>
(function () {
  if (!window.EventSource || !document.querySelector("[data-live]")) return;
  var busy = false, again = false, opened = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) el.replaceWith(next);
        });
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var events = new EventSource("/admin/events");
  events.onopen = function () { if (opened) refresh(); opened = true; };
  events.addEventListener("changed", function (e) {
    var mine = document.querySelectorAll("[data-live]");
    for (var i = 0; i < mine.length; i++) {
      var only = mine[i].dataset.live;
      if (!only || only === e.data) { refresh(); return; }
    }
  });
  document.documentElement.dataset.live = "on";
})();
</script>"""


def waited(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _short(text: str | None, limit: int = 120) -> str:
    if not text:
        return "–"
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def inbox_page(handoffs: list[OpenHandoff], *, counts: dict[str, int], flash: str) -> str:
    rows = [
        [
            f'<span data-waiting-s="{h.waiting_s:.0f}">{escape(waited(h.waiting_s))}</span>',
            escape(h.channel),
            escape(h.customer or "unverified visitor"),
            escape(h.reason),
            f"{h.customer_messages} · {_short(h.last_customer_text)}",
            escape(h.assignee) if h.assignee else '<span class="chip human">waiting</span>',
            f'<a href="/admin/conversations/{h.conversation_id}">Open #{h.conversation_id}</a>',
        ]
        for h in handoffs
    ]
    headers = ["Waiting", "Channel", "Customer", "Why", "Written since", "Taken by", ""]
    body = (
        '<section class="panel" id="inbox-panel" data-live="">'
        "<h2>Waiting for a person</h2>"
        '<p class="muted">Longest waiting first. New handoffs and messages appear here '
        "without a reload.</p>"
        + table("inbox", headers, rows, "Nobody is waiting for a person.")
        + "</section>"
    )
    return document("Inbox", "inbox", counts, body, flash, script=LIVE_SCRIPT)


def _textarea(name: str, label: str) -> str:
    return (
        f'<label for="{name}-text">{escape(label)}</label>'
        f'<textarea id="{name}-text" name="text" rows="3" maxlength="{MAX_TEXT}" required '
        'style="width:100%;font:inherit;padding:6px 10px;border:1px solid var(--line);'
        'border-radius:6px"></textarea>'
    )


def staff_panel(conversation: Any, notes: list[StaffNote], *, form_token: str, me: str) -> str:
    """Take, reply, note, resolve, return, for a conversation with staff (a reply is
    possible in bot mode too, as in Slack); the internal notes under it."""
    path = f"/admin/conversations/{conversation.id}"
    actions = []
    if conversation.mode == Mode.human and not conversation.assignee:
        actions.append(action_form(f"{path}/take", form_token, "Take it"))
    if conversation.mode == Mode.human:
        actions.append(action_form(f"{path}/resolve", form_token, "Resolve"))
        actions.append(action_form(f"{path}/return", form_token, "Return to bot", css="quiet"))
    state = (
        "Waiting for a person: nobody has taken it yet."
        if conversation.mode == Mode.human and not conversation.assignee
        else f"Taken by {escape(conversation.assignee)}."
        if conversation.mode == Mode.human
        else "With the bot."
    )
    token = f'<input type="hidden" name="form_token" value="{escape(form_token)}">'
    forms = ""
    if conversation.mode != Mode.closed:
        forms = (
            f'<form method="post" action="{path}/messages" id="reply-form" '
            f'style="margin-top:10px">{token}{_textarea("reply", "Reply to the customer")}'
            '<button type="submit">Send to the customer</button></form>'
            f'<form method="post" action="{path}/notes" id="note-form" style="margin-top:10px">'
            f"{token}{_textarea('note', 'Internal note (never sent)')}"
            '<button type="submit" class="quiet">Add note</button></form>'
        )
    note_items = (
        "".join(
            f'<div class="msg note" data-note="{n.id}"><div class="meta">note · '
            f"{escape(n.author)} · {escape(when(n.created_at))}</div>{escape(n.text)}</div>"
            for n in notes
        )
        or '<p class="empty">No notes.</p>'
    )
    return (
        f'<section class="panel" id="staff-panel"><h2>Staff</h2>'
        f'<div id="staff-state" data-live="{conversation.id}"><p>{state}</p>'
        f'<div class="actions">{" ".join(actions)}</div></div>'
        f'<p class="muted">Signed in as {escape(me)}.</p>{forms}'
        f'<h2 style="margin-top:14px">Internal notes</h2>'
        f'<div id="notes" data-live="{conversation.id}">{note_items}</div></section>'
    )
