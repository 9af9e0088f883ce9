"""Reading back what a server wrote, straight from its database."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import col, select

from storage.db import create_engine, session_factory
from storage.models import Message, Trace


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
