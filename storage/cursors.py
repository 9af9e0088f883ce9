"""Named positions in a platform's update stream (the Telegram long-polling offset)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelCursor, utcnow


async def get_cursor(session: AsyncSession, name: str) -> int | None:
    row = await session.get(ChannelCursor, name)
    return row.position if row else None


async def set_cursor(session: AsyncSession, name: str, position: int) -> None:
    """Only ever moves forward: two pollers racing cannot rewind the stream."""
    row = await session.get(ChannelCursor, name, with_for_update=True)
    if row is None:
        session.add(ChannelCursor(name=name, position=position))
    elif position > row.position:
        row.position = position
        row.updated_at = utcnow()
        session.add(row)
    await session.flush()
