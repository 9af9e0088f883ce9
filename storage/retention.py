"""Retention and erasure: old conversations pruned, one customer's personal data erased.

Pruning removes whole conversations that have been quiet for the retention period and
are not waiting on a person (no open handoff, no pending approval). Tickets outlive
their conversation (the company's records), detached from it.
Erasure keeps the rows that other records point at but blanks every personal field.
Staff's intent corrections hold a copy of a customer's message: they go in both cases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Approval,
    Conversation,
    CsatResponse,
    Customer,
    GraphCheckpoint,
    Handoff,
    Identity,
    IntentCorrection,
    LinkCode,
    Message,
    Mode,
    ShadowDecision,
    StaffNote,
    StaffNotification,
    StaffThread,
    Ticket,
    Trace,
    WebchatSession,
    WebhookDelivery,
)

ERASED = "[erased]"
_PER_CONVERSATION = (
    Trace,
    StaffNotification,
    StaffNote,
    Handoff,
    StaffThread,
    CsatResponse,
    Approval,
    WebhookDelivery,
    ShadowDecision,
)


async def _forget_corrections(session: AsyncSession, conversation_ids: list[int]) -> int:
    turns = select(Trace.id).where(col(Trace.conversation_id).in_(conversation_ids))
    result = await session.exec(
        delete(IntentCorrection).where(col(IntentCorrection.trace_id).in_(turns))
    )
    return result.rowcount or 0


@dataclass
class Pruned:
    conversations: list[int] = field(default_factory=list)
    messages: int = 0


async def _forget_checkpoints(session: AsyncSession, conversation_ids: list[int]) -> None:
    """A conversation's checkpoint (its last message's text) and its approvals' go with it."""
    approval_ids = (
        await session.exec(
            select(Approval.id).where(col(Approval.conversation_id).in_(conversation_ids))
        )
    ).all()
    threads = [str(i) for i in conversation_ids] + [f"approval:{i}" for i in approval_ids]
    await session.exec(delete(GraphCheckpoint).where(col(GraphCheckpoint.thread_id).in_(threads)))


async def prunable_conversations(session: AsyncSession, *, quiet_since: datetime) -> list[int]:
    waiting = select(Approval.conversation_id).where(Approval.status == "pending")
    result = await session.exec(
        select(Conversation.id).where(
            col(Conversation.updated_at) < quiet_since,
            Conversation.mode != Mode.human,
            col(Conversation.id).not_in(waiting),
        )
    )
    return [i for i in result.all() if i is not None]


async def prune_conversations(session: AsyncSession, conversation_ids: list[int]) -> Pruned:
    pruned = Pruned(conversations=list(conversation_ids))
    if not conversation_ids:
        return pruned
    ids = col(Conversation.id).in_(conversation_ids)
    await session.exec(
        update(Ticket)
        .where(col(Ticket.conversation_id).in_(conversation_ids))
        .values(conversation_id=None)
    )
    await _forget_corrections(session, conversation_ids)  # before the traces they point at
    await _forget_checkpoints(session, conversation_ids)  # before the approvals they name
    for table in _PER_CONVERSATION:
        await session.exec(delete(table).where(col(table.conversation_id).in_(conversation_ids)))
    # Replies point at their inbound message: delete replies first.
    result = await session.exec(
        delete(Message).where(
            col(Message.conversation_id).in_(conversation_ids),
            col(Message.reply_to_id).is_not(None),
        )
    )
    pruned.messages += result.rowcount or 0
    result = await session.exec(
        delete(Message).where(col(Message.conversation_id).in_(conversation_ids))
    )
    pruned.messages += result.rowcount or 0
    await session.exec(delete(Conversation).where(ids))
    return pruned


@dataclass
class Erased:
    customer_found: bool
    conversations: list[int] = field(default_factory=list)
    messages: int = 0
    corrections: int = 0
    """Staff's intent corrections of this customer's messages, deleted: a model trained
    with them still holds their words."""


async def erase_customer(session: AsyncSession, user_id: str) -> Erased:
    """Blank everything personal about one customer (GDPR erasure); ids stay consistent."""
    customer = (await session.exec(select(Customer).where(Customer.user_id == user_id))).first()
    if customer is None or customer.id is None:
        return Erased(customer_found=False)
    conversations = [
        i
        for i in (
            await session.exec(
                select(Conversation.id).where(Conversation.customer_id == customer.id)
            )
        ).all()
        if i is not None
    ]
    erased = Erased(True, conversations)
    if conversations:
        result = await session.exec(
            update(Message)
            .where(col(Message.conversation_id).in_(conversations))
            .values(text=ERASED, quick_replies=[])
        )
        erased.messages = result.rowcount or 0
        await session.exec(
            update(StaffNotification)
            .where(col(StaffNotification.conversation_id).in_(conversations))
            .values(text=ERASED)
        )
        await session.exec(
            update(Approval)
            .where(col(Approval.conversation_id).in_(conversations))
            .values(summary=ERASED)
        )
        await session.exec(
            update(StaffNote)
            .where(col(StaffNote.conversation_id).in_(conversations))
            .values(text=ERASED)
        )
        for rows in (CsatResponse, WebhookDelivery):  # an event's payload names them
            await session.exec(delete(rows).where(col(rows.conversation_id).in_(conversations)))
        erased.corrections = await _forget_corrections(session, conversations)
        await _forget_checkpoints(session, conversations)
    await session.exec(
        update(Ticket).where(col(Ticket.customer_id) == customer.id).values(summary=ERASED)
    )
    for table in (Identity, WebchatSession, LinkCode):
        await session.exec(delete(table).where(col(table.customer_id) == customer.id))
    digest = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    customer.user_id = f"erased:{digest}"
    customer.email = None
    customer.name = None
    customer.external_ids = {}  # their accounts elsewhere identify them as well
    session.add(customer)
    return erased
