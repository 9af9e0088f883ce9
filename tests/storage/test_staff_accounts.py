"""Staff accounts on both databases: hashed passwords, sessions that end, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, update

from storage.db import create_engine, session_factory, transaction
from storage.models import StaffRole, StaffSession, utcnow
from storage.staff_accounts import (
    StaffExists,
    WeakPassword,
    add_note,
    add_staff,
    check_password,
    close_session,
    notes_for,
    open_session,
    staff_exists,
    staff_for_token,
)
from tests.support.databases import DatabaseFactory


async def test_sign_in_session_and_sign_out(databases: DatabaseFactory) -> None:
    engine = create_engine(databases.fresh())
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            assert not await staff_exists(session)
        async with transaction(sessions) as session:
            anna = await add_staff(
                session,
                email=" Anna@Example.com ",
                name="Anna",
                role=StaffRole.agent,
                password="correct horse",
            )
            assert anna.password_hash.startswith("$argon2id$")
            assert "correct horse" not in anna.password_hash
            with pytest.raises(StaffExists):
                await add_staff(
                    session,
                    email="anna@example.com",
                    name="A",
                    role=StaffRole.admin,
                    password="another one",
                )
            with pytest.raises(WeakPassword):
                await add_staff(
                    session, email="b@example.com", name="B", role=StaffRole.agent, password="short"
                )
        async with transaction(sessions) as session:
            assert await staff_exists(session)
            assert await check_password(session, "anna@example.com", "wrong password") is None
            assert await check_password(session, "nobody@example.com", "correct horse") is None
            signed_in = await check_password(session, "ANNA@example.com", "correct horse")
            assert signed_in is not None and signed_in.name == "Anna"
            token = await open_session(session, signed_in)
        async with sessions() as session:
            found = await staff_for_token(session, token)
            assert found is not None and found.email == "anna@example.com"
            assert await staff_for_token(session, token + "x") is None
        async with transaction(sessions) as session:  # an expired session counts for nothing
            await session.exec(update(StaffSession).values(expires_at=utcnow() - timedelta(1)))
        async with sessions() as session:
            assert await staff_for_token(session, token) is None
        async with transaction(sessions) as session:
            await session.exec(
                update(StaffSession)
                .where(col(StaffSession.staff_id) == found.id)
                .values(expires_at=utcnow() + timedelta(1))
            )
            await close_session(session, token)
        async with sessions() as session:
            assert await staff_for_token(session, token) is None
    finally:
        await engine.dispose()


async def test_notes_are_kept_per_conversation_in_order(databases: DatabaseFactory) -> None:
    from storage.models import Conversation

    engine = create_engine(databases.fresh())
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as session:
            conversation = Conversation(channel="webchat", channel_chat_id="c1")
            session.add(conversation)
            await session.flush()
            assert conversation.id is not None
            await add_note(session, conversation.id, "Anna", "Refund approved by phone")
            await add_note(session, conversation.id, "Ben", "Called back")
        async with sessions() as session:
            notes = await notes_for(session, conversation.id)
        assert [(n.author, n.text) for n in notes] == [
            ("Anna", "Refund approved by phone"),
            ("Ben", "Called back"),
        ]
    finally:
        await engine.dispose()
