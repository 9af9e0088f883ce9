"""Block Kit for the staff desk's cards: one `render(card)` → (fallback text, blocks).

Customer-written text is escaped (`<!channel>` from a customer must not ping anyone) and
cut to Slack's limits (3000 characters a section).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bots.slack.cards import (
    ApprovalCard,
    Card,
    HandoffCard,
    NoticeCard,
    StatusReport,
    TicketCard,
)

SECTION_LIMIT = 2900
INTENT_LABEL_ACTION = "intent_label"
MAX_OPTIONS = 100  # Slack's limits for a static_select
OPTION_VALUE_LIMIT = 150
ROLE_LABEL = {"customer": "Customer", "bot": "Bot", "staff": "Staff"}

Block = dict[str, Any]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def person(who: str | None) -> str:
    """A Slack user as a mention; anyone else (a console account's name) as plain text."""
    if who and _SLACK_USER.fullmatch(who):
        return f"<@{who}>"
    return escape(who or "?")


def cut(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text)}}


def _fields(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": cut(f"*{k}*\n{v}", 1900)} for k, v in pairs],
    }


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text)}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _link_button(text: str, url: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": "open_link",
        "url": url,
    }


def render(card: Card) -> tuple[str, list[Block]]:
    if isinstance(card, HandoffCard):
        return _handoff(card)
    if isinstance(card, TicketCard):
        return _ticket(card)
    if isinstance(card, ApprovalCard):
        return _approval(card)
    return _notice(card)


def _intent(card: HandoffCard) -> str:
    said = escape(card.intent or "unknown")
    if card.confidence is not None:
        said = f"{said} ({card.confidence:.0%})"
    if card.corrected:
        return f"{escape(card.corrected)} (corrected by {person(card.corrected_by)}; the bot said {said})"
    return said


def _intent_menu(card: HandoffCard) -> Block | None:
    """The "Correct intent" menu: each option's value names the turn and the intent, so
    the click alone says what to store."""
    if card.trace_id is None:
        return None
    values = [(name, f"{card.trace_id}:{name}") for name in card.intents]
    options = [
        {"text": {"type": "plain_text", "text": cut(name, 75)}, "value": value}
        for name, value in values
        if len(value) <= OPTION_VALUE_LIMIT  # one too long would make Slack refuse the card
    ][:MAX_OPTIONS]
    if not options:
        return None
    return {
        "type": "section",
        "block_id": INTENT_LABEL_ACTION,
        "text": {"type": "mrkdwn", "text": "Wrong intent? Teach the bot the right one."},
        "accessory": {
            "type": "static_select",
            "action_id": INTENT_LABEL_ACTION,
            "placeholder": {"type": "plain_text", "text": "Correct intent"},
            "options": options,
        },
    }


def _handoff(card: HandoffCard) -> tuple[str, list[Block]]:
    fallback = f"Handoff: {card.customer} on {card.channel} needs a person"
    blocks: list[Block] = [
        _section(f":raising_hand: *Handoff* — *{escape(card.customer)}* needs a person"),
        _fields(
            [
                ("Customer", escape(card.customer)),
                ("Channel", card.channel),
                ("Language", card.language or "—"),
                ("Intent", _intent(card)),
                ("Ticket", card.ticket_number or "—"),
            ]
        ),
        _section(f"*Summary*\n{escape(card.summary)}"),
    ]
    if card.transcript:
        lines = [
            f"*{ROLE_LABEL.get(line.role, line.role)}:* {escape(cut(line.text, 400))}"
            + (f"\n> _{escape(cut(line.translation, 400))}_" if line.translation else "")
            for line in card.transcript
        ]
        blocks.append(_section("*Recent transcript*\n" + "\n".join(lines)))
    menu = _intent_menu(card)
    if menu is not None:  # also once closed: staff often see the mistake afterwards
        blocks.append(menu)
    if card.closed:
        verb = "Resolved" if card.closed == "resolved" else "Returned to the bot"
        blocks.append(_context(f":white_check_mark: {verb} by {person(card.closed_by)}"))
        blocks.append({"type": "actions", "elements": [_link_button("Transcript", card.admin_url)]})
        return fallback, blocks
    who = f"Taken by {person(card.assignee)}" if card.assignee else "Not taken yet"
    blocks.append(_context(f"{who} · replies in this thread reach the customer"))
    value = str(card.conversation_id)
    buttons = [
        _button("Resolve", "handoff_resolve", value, "primary"),
        _button("Return to bot", "handoff_return", value),
        _link_button("Transcript", card.admin_url),
    ]
    if not card.assignee:
        buttons.insert(0, _button("Take", "handoff_take", value))
    blocks.append({"type": "actions", "elements": buttons})
    return fallback, blocks


def _ticket(card: TicketCard) -> tuple[str, list[Block]]:
    title = f"{card.priority.capitalize()}-priority {card.category} ticket {card.number}"
    pairs = [("Customer", escape(card.customer)), ("Status", card.status)]
    if card.amount:
        pairs.insert(1, ("Amount", card.amount))
    icon = ":rotating_light:" if card.priority == "high" else ":ticket:"
    blocks = [
        _section(f"{icon} *{title}*"),
        _fields(pairs),
        _section(escape(card.summary)),
        _context(f"<{card.admin_url}|Open the transcript>"),
    ]
    return f"{title} for {card.customer}", blocks


def _approval(card: ApprovalCard) -> tuple[str, list[Block]]:
    fallback = f"Approval needed: {card.tool} for {card.customer}"
    arguments = json.dumps(dict(card.arguments), indent=1, default=str, ensure_ascii=False)
    blocks: list[Block] = [
        _section(f":lock: *Approval needed* — `{card.tool}`"),
        _fields([("Customer", escape(card.customer)), ("Approval", f"#{card.approval_id}")]),
        _section(escape(card.summary)),
        _section(f"```{escape(cut(arguments, 1500))}```"),
    ]
    if card.status == "pending":
        value = str(card.approval_id)
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button("Approve", "approval_approve", value, "primary"),
                    _button("Deny", "approval_deny", value, "danger"),
                    _link_button("Transcript", card.admin_url),
                ],
            }
        )
    else:
        # approving/denying: decided, the action still being carried out.
        approved = card.status in ("approved", "approving")
        icon, verb = (":white_check_mark:", "Approved") if approved else (":no_entry:", "Denied")
        by = f" by {person(card.decided_by)}" if card.decided_by else ""
        blocks.append(_context(f"{icon} {verb}{by}"))
    return fallback, blocks


def _notice(card: NoticeCard) -> tuple[str, list[Block]]:
    icon = ":warning:" if card.kind == "error" else ":bell:"
    blocks = [_section(f"{icon} {escape(card.text)}")]
    if card.admin_url:
        blocks.append(_context(f"<{card.admin_url}|Open the transcript>"))
    return cut(card.text, 300), blocks


def status_text(report: StatusReport) -> str:
    """The `/switchboard status` answer (mrkdwn)."""
    lines = [f"*Open handoffs: {len(report.handoffs)}*"]
    for h in report.handoffs:
        who = f"{person(h.assignee)}" if h.assignee else "not taken"
        where = (
            f" · <https://slack.com/archives/{h.thread.channel}/p{h.thread.ts.replace('.', '')}"
            "|thread>"
            if h.thread
            else ""
        )
        lines.append(
            f"• #{h.conversation_id} {escape(h.customer)} on {h.channel} ({h.reason}), "
            f"{who}, since {h.since}{where}"
        )
    lines.append(f"*Waiting approvals: {len(report.approvals)}*")
    lines += [
        f"• #{a.approval_id} `{a.tool}` for {escape(a.customer)}: {escape(cut(a.summary, 200))}"
        for a in report.approvals
    ]
    return cut("\n".join(lines), 3900)


def ticket_text(card: TicketCard) -> str:
    """The `/switchboard ticket <number>` answer (mrkdwn)."""
    amount = f" · {card.amount}" if card.amount else ""
    return cut(
        f"*{card.number}* · {card.category} · {card.priority} priority · {card.status}{amount}\n"
        f"Customer: {escape(card.customer)}\n{escape(card.summary)}\n"
        f"<{card.admin_url}|Open the transcript>",
        3900,
    )
