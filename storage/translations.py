"""Customers' messages translated for staff: one row per message and language, made once.

A row whose `text` is None records a translation that failed; staff then see the original
only, and it is not asked for again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MessageTranslation


async def stored_translations(
    session: AsyncSession, message_ids: Sequence[int], language: str
) -> dict[int, str | None]:
    """Per message id that has a row: its translation into `language` (None: it failed)."""
    if not message_ids:
        return {}
    rows = await session.exec(
        select(MessageTranslation)
        .where(col(MessageTranslation.message_id).in_(list(message_ids)))
        .where(MessageTranslation.language == language)
    )
    return {row.message_id: row.text for row in rows}


async def save_translation(
    session: AsyncSession, message_id: int, language: str, text: str | None
) -> None:
    """Keep a translation (or its failure); a second one for the same message is dropped."""
    try:
        async with session.begin_nested():
            session.add(MessageTranslation(message_id=message_id, language=language, text=text))
    except IntegrityError:
        pass  # made concurrently by another replica: theirs stands
