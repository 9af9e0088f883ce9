"""What staff send the customer (a reply, a message on their behalf) and their retry of a
reply that could not be delivered, in order with the conversation's turns."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import Conversation, Role
from switchboard.engine.cluster import ConversationLocks
from switchboard.engine.delivery import Outbox


class StaffActions:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        locks: ConversationLocks,
        outbox: Outbox,
    ) -> None:
        self._sessions = sessions
        self._locks = locks
        self._outbox = outbox

    async def send_staff_reply(
        self,
        conversation_id: int,
        text: str,
        *,
        quick_replies: list[str] | None = None,
        role: Role = Role.staff,
        author: str | None = None,
    ) -> int:
        """Queue and deliver a staff member's message (or, with `role=bot`, a message the
        bot sends because of a staff action) to the customer's channel; `author` is who
        wrote it."""
        async with transaction(self._sessions) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} not found")
            row = await self._outbox.queue(
                session,
                conversation_id=conversation_id,
                channel=conversation.channel,
                text=text,
                role=role,
                quick_replies=quick_replies,
                author=author,
            )
        assert row.id is not None
        async with self._locks.hold(conversation_id):
            await self._outbox.deliver(row, conversation)
        return row.id

    async def retry_delivery(self, outbox_id: int) -> str:
        """Staff retry of a dead letter: back to pending, delivered again in order."""
        conversation_id, status = await self._outbox.reset_failed(outbox_id)
        if conversation_id is None:
            return status
        async with self._locks.hold(conversation_id):
            await self._outbox.deliver_stored(outbox_id)
        return await self._outbox.status(outbox_id)
