"""Requests waiting for their message's turn: woken with the result when this process
ran it, or told to read it from the database (another replica ran it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import TurnResult
from storage import messages, traces
from storage.models import Conversation, InboundStatus, Message
from switchboard.engine.replies import reply_of

#: First database poll of a request waiting for a turn this process runs (`handle`).
LOCAL_TURN_POLL_S = 5.0


@dataclass
class _Waiter:
    """A request waiting for its turn: woken with the turn's result when this process ran
    it, or without (then the result is read from the database)."""

    conversation_id: int | None
    event: asyncio.Event
    result: TurnResult | None = None
    users: int = 0


class Waiters:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._waiters: dict[int, _Waiter] = {}

    async def wait_for_turn(self, submitted: TurnResult, *, timeout: float) -> TurnResult:
        """The result of a submitted message's turn, waiting up to `timeout` (may be
        `math.inf`); `pending` when the turn has not finished by then."""
        if submitted.duplicate and await self.processed(submitted.message_id):
            return await self.result(submitted.message_id, duplicate=True)
        with self._waiting(submitted.message_id, submitted.conversation_id) as waiter:
            # A new message's drain was kicked here: it runs the turn (or finds it run
            # elsewhere) and wakes us, so the poll is a last resort. A retried message
            # may be running on another replica: poll sooner.
            await self.wait_until_processed(
                submitted.message_id,
                timeout=timeout,
                poll_s=1.0 if submitted.duplicate else LOCAL_TURN_POLL_S,
            )
            if waiter.result is not None and not submitted.duplicate:
                return waiter.result  # run here: the replies it just committed
        return await self.result(submitted.message_id, duplicate=submitted.duplicate)

    def answer(self, message_id: int, result: TurnResult) -> None:
        """This process ran the message's turn: whoever waits for it gets `result`."""
        waiter = self._waiters.get(message_id)
        if waiter is not None:
            waiter.result = result
            waiter.event.set()

    def wake_conversation(self, conversation_id: int) -> None:
        """Nothing left to run in this conversation: whoever waits on one of its messages
        can read the outcome (run by another replica, or before this process started).
        A hint only: a message stored since the drain looked is woken too, and its
        waiter checks the row before believing it (`wait_until_processed`)."""
        for waiter in self._waiters.values():
            if waiter.conversation_id == conversation_id:
                waiter.event.set()

    @contextlib.contextmanager
    def _waiting(self, message_id: int, conversation_id: int | None) -> Iterator[_Waiter]:
        """The waiter for one message, shared by every request waiting for it."""
        waiter = self._waiters.setdefault(message_id, _Waiter(conversation_id, asyncio.Event()))
        waiter.users += 1
        try:
            yield waiter
        finally:
            waiter.users -= 1
            if not waiter.users:
                self._waiters.pop(message_id, None)

    async def wait_until_processed(
        self,
        message_id: int,
        *,
        timeout: float = 30.0,
        poll_s: float = 1.0,
        max_poll_s: float = 5.0,
    ) -> bool:
        """Wait for the turn. Woken at once when this process ran it, or when this
        process's drain of the conversation found nothing left to run (another replica
        ran it). The database is polled only as a safety net, every 1 s doubling to 5 s,
        so waiting requests take no CPU from the turns themselves.

        A wake without the result is only a hint: a drain that found the conversation
        empty wakes every waiter of it, including one whose message was inserted just
        after that drain looked. So the row is checked, and the wait goes on unless it
        is really processed."""
        with self._waiting(message_id, None) as waiter:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return False
                try:
                    async with asyncio.timeout(min(poll_s, left)):
                        await waiter.event.wait()
                    if waiter.result is not None:
                        return True
                except TimeoutError:
                    poll_s = min(poll_s * 2, max_poll_s)
                if await self.processed(message_id):
                    return True
                if waiter.result is not None:  # ran while the row was being read
                    return True
                waiter.event.clear()

    async def processed(self, message_id: int) -> bool:
        async with self._sessions() as session:
            row = await session.get(Message, message_id)
            return row is not None and row.status != InboundStatus.received

    async def result(self, message_id: int, *, duplicate: bool = False) -> TurnResult:
        """What the message's turn left in the database (`pending` while not yet run)."""
        async with self._sessions() as session:
            row = await session.get(Message, message_id)
            assert row is not None
            conversation = await session.get(Conversation, row.conversation_id)
            replies = await messages.replies_to(session, message_id)
            trace = await traces.trace_for_message(session, message_id)
        assert conversation is not None
        return TurnResult(
            message_id=message_id,
            conversation_id=row.conversation_id,
            mode=str(conversation.mode),
            replies=tuple(reply_of(r) for r in replies),
            duplicate=duplicate,
            route=trace.route if trace else None,
            pending=row.status == InboundStatus.received,
        )
