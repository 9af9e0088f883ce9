"""Callers for tool tests: a conversation and an inbound message, as the engine makes them
for each turn, for a customer (with their ids in the company's systems) or for nobody."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import Conversation, Customer, Message
from tools.base import Caller


async def new_caller(session: AsyncSession, customer_id: int | None, chat: str) -> Caller:
    """A conversation in chat `chat` with one processed inbound message, acting for
    `customer_id` (None: an anonymous visitor)."""
    conversation = Conversation(channel="webchat", channel_chat_id=chat, customer_id=customer_id)
    session.add(conversation)
    await session.flush()
    message = Message(
        conversation_id=conversation.id,  # type: ignore[arg-type]
        direction="inbound",  # type: ignore[arg-type]
        role="customer",  # type: ignore[arg-type]
        channel="webchat",
        channel_message_id=f"m{conversation.id}",
        text="x",
        status="processed",
    )
    session.add(message)
    await session.flush()
    assert conversation.id is not None and message.id is not None
    return Caller(conversation.id, message.id, "webchat", customer_id)


async def callers_for(
    sessions: async_sessionmaker[AsyncSession], ids: dict[str, dict[str, str]]
) -> dict[str, Caller]:
    """A caller for each demo customer, their external ids set."""
    callers = {}
    async with transaction(sessions) as session:
        for customer in (await session.exec(select(Customer))).all():
            customer.external_ids = ids.get(customer.user_id, {})
            session.add(customer)
            callers[customer.user_id] = await new_caller(session, customer.id, f"c{customer.id}")
    return callers
