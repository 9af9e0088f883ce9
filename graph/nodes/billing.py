"""billing_issue: check the payment provider; a duplicate charge becomes a high-priority
ticket and a staff notice, anything else gets an honest account of what was found."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, day, money, reply, sign_in_needed
from graph.state import ConversationState
from tools.payments import ChargeInfo, DuplicateCharge


async def billing_issue(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    if not tools.verified:
        return {"replies": [sign_in_needed("payments")]}
    duplicates: list[DuplicateCharge] = await tools.call("payments.find_duplicates")
    if duplicates:
        return await _duplicate_found(state, runtime, duplicates[0])
    charges: list[ChargeInfo] = await tools.call("payments.list_charges")
    return {"replies": [_no_duplicate(charges)]}


async def _duplicate_found(
    state: ConversationState, runtime: Runtime[TurnContext], duplicate: DuplicateCharge
) -> dict[str, Any]:
    tools = runtime.context.tools
    urgent = "urgent" in state.get("entities", {}).get("flags", [])
    charged = money(duplicate.amount_cents, duplicate.currency)
    extra = money(duplicate.refundable_cents, duplicate.currency)
    order = f"order #{duplicate.order_number}" if duplicate.order_number else "one purchase"
    times = {2: "twice", 3: "three times"}.get(
        len(duplicate.charge_ids), f"{len(duplicate.charge_ids)} times"
    )
    summary = (
        f"Duplicate charge on {order}: {charged} charged {times} "
        f"({', '.join(duplicate.charge_ids)}); refund {extra}. "
        f"Customer wrote: {state.get('text', '')[:300]}"
    )
    ticket = await tools.call(
        "tickets.create",
        category="billing",
        priority="high",
        summary=summary,
        amount_cents=duplicate.refundable_cents,
        currency=duplicate.currency,
        dedupe_key="duplicate:" + "+".join(duplicate.charge_ids),
    )
    if not ticket.created:
        text = (
            f"I checked your payments: the duplicate charge on {order} ({charged} charged "
            f"{times}) is already being handled in high-priority ticket {ticket.number}. "
            "Our billing team has it; we'll update you right here."
        )
        return {"replies": [reply(text, TALK_TO_PERSON)]}
    await tools.call(
        "notify.staff",
        kind="ticket",
        text=f"High-priority billing ticket {ticket.number}{' (urgent)' if urgent else ''}: "
        f"{summary}",
        ticket_id=ticket.id,
    )
    when = "today" if urgent else "as soon as possible"
    text = (
        f"I checked your payments and found a duplicate charge: {order} was charged {charged} "
        f"{times}. I've opened high-priority billing ticket {ticket.number} to refund the "
        f"extra {extra}, and our billing team has been notified to handle it {when}. "
        f"Your ticket number is {ticket.number}; we'll update you right here."
    )
    return {"replies": [reply(text)], "did": [f"billing ticket {ticket.number}"]}


def _no_duplicate(charges: list[ChargeInfo]) -> Any:
    failed = [c for c in charges if c.status == "failed"]
    succeeded = [c for c in charges if c.status == "succeeded"]
    lines = ["I checked your payments from the last 30 days and found no duplicate charge."]
    if failed:
        attempts = "attempt" if len(failed) == 1 else "attempts"
        lines.append(
            f"{len(failed)} payment {attempts} failed ({failed[-1].failure_reason or 'declined'}"
            f", {day(failed[-1].created_at)}). Failed attempts are not charged; your bank may "
            "show a temporary hold that disappears within a few days."
        )
    if succeeded:
        latest = succeeded[-1]
        order = f" for order #{latest.order_number}" if latest.order_number else ""
        lines.append(
            f"Your latest successful charge was {money(latest.amount_cents, latest.currency)}"
            f"{order} on {day(latest.created_at)}, charged once."
        )
    lines.append("Would you like me to connect you with a person to look into it further?")
    return reply(" ".join(lines), TALK_TO_PERSON, "No thanks")
