"""The web chat backend over storage: sessions tied to customers, transcript by session."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.webchat.backend import HistoryItem, WebchatSessionInfo
from storage import customers
from storage.db import transaction
from storage.models import Conversation, Customer, Message, Mode
from storage.reads import reading


class SqlWebchatBackend:
    def __init__(self, sessions: Callable[[], async_sessionmaker[AsyncSession]]) -> None:
        """`sessions` gives the running system's database: the routes that use this are
        built before it is open (see `switchboard.channels.webchat`)."""
        self._database = sessions

    @property
    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._database()

    async def create_session(
        self, *, session_id: str, token_hash: str, verified_user_id: str | None, name: str | None
    ) -> None:
        async with transaction(self._sessions) as session:
            customer_id = None
            if verified_user_id is not None:
                customer = await customers.get_customer_by_user_id(session, verified_user_id)
                if customer is None:
                    # The site vouched for this user: they are a customer from now on.
                    customer = Customer(user_id=verified_user_id, name=name)
                    session.add(customer)
                    await session.flush()
                customer_id = customer.id
            await customers.create_webchat_session(
                session,
                session_id=session_id,
                token_hash=token_hash,
                customer_id=customer_id,
                name=name,
            )

    async def find_session(self, token_hash: str) -> WebchatSessionInfo | None:
        async with reading(self._sessions) as session:
            found = await customers.get_webchat_session_by_token_hash(session, token_hash)
        if found is None:
            return None
        return WebchatSessionInfo(
            session_id=found.id,
            verified_user_id=found.user_id,
            name=found.name,
            customer_id=found.customer_id,
        )

    async def history(self, session_id: str, *, after_id: int) -> list[HistoryItem]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)  # type: ignore[arg-type]
                .where(
                    Conversation.channel == "webchat",
                    Conversation.channel_chat_id == session_id,
                    col(Message.id) > after_id,
                )
                .order_by(col(Message.id))
                .limit(500)
            )
            return [
                HistoryItem(
                    id=m.id,  # type: ignore[arg-type]
                    role=str(m.role),
                    text=m.text,
                    quick_replies=tuple(m.quick_replies),
                    created_at=m.created_at,
                )
                for m in rows.all()
            ]

    async def mode(self, session_id: str) -> str:
        _, mode = await self.conversation(session_id)
        return mode

    async def conversation(self, session_id: str) -> tuple[int | None, str]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(Conversation.id, Conversation.mode)
                .where(
                    Conversation.channel == "webchat", Conversation.channel_chat_id == session_id
                )
                .order_by(col(Conversation.id).desc())
                .limit(1)
            )
            row = rows.first()
        return (row[0], str(row[1])) if row is not None else (None, str(Mode.bot))
