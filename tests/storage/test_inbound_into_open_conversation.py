"""The inbound row stored into its chat's open conversation in one statement, and the
cases it leaves to the slow path (`open_conversation` + `insert_inbound`)."""

from __future__ import annotations

from storage import conversations, messages
from storage.db import create_engine, session_factory, transaction
from storage.models import Direction, InboundStatus, Message, Mode, Role
from tests.support.databases import DatabaseFactory


def _inbound(key: str) -> Message:
    return Message(
        conversation_id=0,
        direction=Direction.inbound,
        role=Role.customer,
        channel="webchat",
        channel_message_id=key,
        text="hello",
        status=InboundStatus.received,
    )


async def test_only_a_new_message_in_an_open_conversation_takes_one_statement(
    databases: DatabaseFactory,
) -> None:
    engine = create_engine(databases.fresh())
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as session:  # no conversation yet
            assert (
                await messages.insert_into_open_conversation(
                    session, _inbound("m1"), channel_chat_id="chat", customer_id=None
                )
                is None
            )
            anonymous = await conversations.open_conversation(
                session, channel="webchat", channel_chat_id="chat", customer_id=None
            )
        async with transaction(sessions) as session:
            stored = await messages.insert_into_open_conversation(
                session, _inbound("m1"), channel_chat_id="chat", customer_id=None
            )
            assert stored is not None
            row, mode = stored
            assert (row.conversation_id, mode) == (anonymous.id, str(Mode.bot))
            assert row.id is not None
            # A repeat, and a verified customer the conversation does not name yet.
            assert (
                await messages.insert_into_open_conversation(
                    session, _inbound("m1"), channel_chat_id="chat", customer_id=None
                )
                is None
            )
            assert (
                await messages.insert_into_open_conversation(
                    session, _inbound("m2"), channel_chat_id="chat", customer_id=1
                )
                is None
            )
            await conversations.set_mode(session, anonymous.id, Mode.human)  # type: ignore[arg-type]
        async with transaction(sessions) as session:
            stored = await messages.insert_into_open_conversation(
                session, _inbound("m3"), channel_chat_id="chat", customer_id=None
            )
            assert stored is not None and stored[1] == str(Mode.human)
            await conversations.set_mode(session, anonymous.id, Mode.closed)  # type: ignore[arg-type]
        async with transaction(sessions) as session:  # closed: a new one will open
            assert (
                await messages.insert_into_open_conversation(
                    session, _inbound("m4"), channel_chat_id="chat", customer_id=None
                )
                is None
            )
        async with sessions() as session:
            stored_rows = await messages.transcript(session, anonymous.id)  # type: ignore[arg-type]
        assert [m.channel_message_id for m in stored_rows] == ["m1", "m3"]
    finally:
        await engine.dispose()
