"""Callers for tool tests: a conversation and an inbound message for each demo customer,
with the customers' ids in the company's systems set, as the engine would make them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import Conversation, Customer, Message
from tools.base import Caller


async def callers_for(
    sessions: async_sessionmaker[AsyncSession], ids: dict[str, dict[str, str]]
) -> dict[str, Caller]:
    """A conversation and a message for each demo customer, their external ids set."""
    callers = {}
    async with transaction(sessions) as session:
        for customer in (await session.exec(select(Customer))).all():
            customer.external_ids = ids.get(customer.user_id, {})
            session.add(customer)
            conversation = Conversation(
                channel="webchat", channel_chat_id=f"c{customer.id}", customer_id=customer.id
            )
            session.add(conversation)
            await session.flush()
            message = Message(
                conversation_id=conversation.id,
                direction="inbound",
                role="customer",
                channel="webchat",
                channel_message_id=f"m{conversation.id}",
                text="x",
                status="processed",
            )
            session.add(message)
            await session.flush()
            assert conversation.id is not None and message.id is not None
            callers[customer.user_id] = Caller(conversation.id, message.id, "webchat", customer.id)
    return callers
