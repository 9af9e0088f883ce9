"""Getting data out: conversations for a data warehouse, a customer's data for the customer.

`conversation_lines` yields NDJSON, one conversation per line (transcript, per-turn
traces, staff's intent corrections, handoffs, approvals, CSAT), walking conversations by id in batches (keyset
pagination), so memory stays flat however many there are. `customer_document` is the
GDPR right of access: everything held about one customer in one JSON document.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Approval,
    Charge,
    Conversation,
    CsatResponse,
    Customer,
    Handoff,
    Identity,
    IntentCorrection,
    LinkCode,
    Message,
    Order,
    Ticket,
    Trace,
    WebchatSession,
)

BATCH = 100
_SECRET_COLUMNS = {"token_hash", "code_hash"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row(row: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: _plain(value)
        for key, value in row._mapping.items()
        if key not in skip and key not in _SECRET_COLUMNS
    }


def _table(model: Any) -> Any:
    return model.__table__


async def _grouped(
    conn: AsyncConnection, model: Any, ids: list[int], *, skip: tuple[str, ...] = ()
) -> dict[int, list[dict[str, Any]]]:
    table = _table(model)
    rows = await conn.execute(
        select(table).where(table.c.conversation_id.in_(ids)).order_by(table.c.id)
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.conversation_id].append(_row(row, skip=("conversation_id", *skip)))
    return grouped


async def _corrections(conn: AsyncConnection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Staff's intent labels, by the conversation of the turn they label."""
    labels, traces = _table(IntentCorrection), _table(Trace)
    rows = await conn.execute(
        select(labels, traces.c.conversation_id)
        .join(traces, traces.c.id == labels.c.trace_id)
        .where(traces.c.conversation_id.in_(ids))
        .order_by(labels.c.id)
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.conversation_id].append(_row(row, skip=("conversation_id",)))
    return grouped


async def conversation_records(
    conn: AsyncConnection, conversation_ids: list[int]
) -> list[dict[str, Any]]:
    """Full records of these conversations, in id order."""
    if not conversation_ids:
        return []
    conversations = _table(Conversation)
    rows = (
        await conn.execute(
            select(conversations)
            .where(conversations.c.id.in_(conversation_ids))
            .order_by(conversations.c.id)
        )
    ).all()
    messages = await _grouped(conn, Message, conversation_ids)
    turns = await _grouped(conn, Trace, conversation_ids)
    corrections = await _corrections(conn, conversation_ids)
    handoffs = await _grouped(conn, Handoff, conversation_ids, skip=("idempotency_key",))
    approvals = await _grouped(conn, Approval, conversation_ids, skip=("idempotency_key",))
    csat = await _grouped(conn, CsatResponse, conversation_ids, skip=("id",))
    return [
        {
            "conversation": _row(row),
            "messages": messages.get(row.id, []),
            "turns": turns.get(row.id, []),
            "intent_corrections": corrections.get(row.id, []),
            "handoffs": handoffs.get(row.id, []),
            "approvals": approvals.get(row.id, []),
            "csat": next(iter(csat.get(row.id, [])), None),
        }
        for row in rows
    ]


async def conversation_lines(
    conn: AsyncConnection, *, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[str]:
    """NDJSON lines, one conversation each, for conversations updated in [since, until)."""
    conversations = _table(Conversation)
    after = 0
    while True:
        query = select(conversations.c.id).where(conversations.c.id > after)
        if since is not None:
            query = query.where(conversations.c.updated_at >= since)
        if until is not None:
            query = query.where(conversations.c.updated_at < until)
        ids = list((await conn.execute(query.order_by(conversations.c.id).limit(BATCH))).scalars())
        if not ids:
            return
        for record in await conversation_records(conn, ids):
            yield json.dumps(record, ensure_ascii=False, default=str) + "\n"
        after = ids[-1]


async def customer_document(conn: AsyncConnection, user_id: str) -> dict[str, Any] | None:
    """Everything held about one customer (None when there is no such customer)."""
    customers = _table(Customer)
    customer = (await conn.execute(select(customers).where(customers.c.user_id == user_id))).first()
    if customer is None:
        return None
    cid = customer.id

    async def rows(model: Any, *, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        table = _table(model)
        found = await conn.execute(select(table).where(table.c.customer_id == cid))
        return [_row(r, skip=("customer_id", *skip)) for r in found]

    conversations = _table(Conversation)
    conversation_ids = list(
        (
            await conn.execute(
                select(conversations.c.id)
                .where(conversations.c.customer_id == cid)
                .order_by(conversations.c.id)
            )
        ).scalars()
    )
    return {
        "format": "switchboard.customer_export/1",
        "customer": _row(customer),
        "identities": await rows(Identity),
        "webchat_sessions": await rows(WebchatSession),
        "link_codes": await rows(LinkCode),
        "conversations": await conversation_records(conn, conversation_ids),
        "tickets": await rows(Ticket, skip=("idempotency_key",)),
        "orders": await rows(Order),
        "charges": await rows(Charge),
    }
