"""Reading back what a server wrote, straight from its database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory
from storage.models import Conversation, Direction, InboundStatus, Message, Role, Trace


async def all_messages(url: str) -> list[Message]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.exec(select(Message).order_by(col(Message.id)))).all())
    finally:
        await engine.dispose()


async def all_traces(url: str) -> list[Trace]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.exec(select(Trace).order_by(col(Trace.id)))).all())
    finally:
        await engine.dispose()


async def scalar(url: str, sql: str) -> int:
    """One number from a query (a count, a sum), 0 for NULL."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar() or 0)
    finally:
        await engine.dispose()


async def add_traced_turns(
    session: AsyncSession,
    texts: list[str],
    *,
    chat_id: str = "chat",
    conversation_id: int | None = None,
    customer_id: int | None = None,
    **trace: Any,
) -> list[Trace]:
    """Processed customer messages, each with its trace, as the engine leaves them: in
    `conversation_id`, or a new web chat conversation (`trace` sets the traces' fields:
    intent, tokens, created_at, …)."""
    if conversation_id is None:
        conversation = Conversation(
            channel="webchat", channel_chat_id=chat_id, customer_id=customer_id
        )
        session.add(conversation)
        await session.flush()
        assert conversation.id is not None
        conversation_id = conversation.id
    traces = []
    for line in texts:
        message = Message(
            conversation_id=conversation_id,
            direction=Direction.inbound,
            role=Role.customer,
            channel="webchat",
            text=line,
            status=InboundStatus.processed,
        )
        session.add(message)
        await session.flush()
        assert message.id is not None
        row = Trace(conversation_id=conversation_id, message_id=message.id, **trace)
        session.add(row)
        await session.flush()
        traces.append(row)
    return traces
