"""What staff do with a handoff, wherever they do it: Slack, the console, the admin API.

Take, reply, note, resolve, return to the bot. Each change is a conditional update, so
two people (or a double click) act once; the customer hears about it on their own
channel through the engine's outbox, exactly once. Every action is announced to the
listeners with where it came from, so the Slack thread shows what was done in the
console and the console (live) shows what was done in Slack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.i18n import N_, _, pick, said_in, speaking
from graph.policy import Policy
from graph.slots import RATINGS
from storage import staff
from storage.db import transaction
from storage.models import Conversation, Message, Mode, Role
from storage.staff_accounts import add_note, staff_exists
from switchboard.engine.core import Engine
from switchboard.settings import Settings

log = structlog.get_logger(__name__)

RESOLVED_TEXT = N_(
    "Our support team has marked your request as resolved. If there's anything else, just "
    "write here and I'll help."
)
RETURNED_TEXT = N_(
    "You're back with our virtual assistant. Write here any time, and if you need a person "
    "again, just ask."
)
MAX_TEXT = 4000

Source = Literal["slack", "console", "api"]
Action = Literal["take", "reply", "note", "resolve", "return"]


@dataclass(frozen=True)
class StaffMember:
    """Who acts: `key` is stored as the assignee and message author (a Slack user id, or
    a staff account's name); `name` is what the customer is told, None when unknown."""

    key: str
    name: str | None = None


@dataclass(frozen=True)
class HandoffEvent:
    conversation_id: int
    action: Action
    by: StaffMember
    source: Source
    text: str = ""


class NotWithStaff(Exception):
    """The conversation is not waiting for or with staff (already back with the bot)."""


class ConversationClosed(Exception):
    """The conversation is closed; nothing can be sent to it."""


def joined_text(member: StaffMember) -> str:
    """What the customer is told, in the conversation's language (the caller speaks it)."""
    if member.name is None:
        return _("A person from our team joined the conversation.")
    return _("{name} from our team joined the conversation.").format(name=member.name)


def staff_reachable(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> Callable[[], Awaitable[bool]]:
    """Can anyone answer a handoff: a staff channel (Slack) or an active staff account."""

    async def reachable() -> bool:
        if settings.slack_bot_token is not None:
            return True
        async with sessions() as session:
            return await staff_exists(session)

    return reachable


class HandoffDesk:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], engine: Engine, policy: Policy
    ) -> None:
        self._sessions = sessions
        self._engine = engine
        self._policy = policy
        self._listeners: list[Callable[[HandoffEvent], Awaitable[None]]] = []

    def on_action(self, listener: Callable[[HandoffEvent], Awaitable[None]]) -> None:
        """Call `listener(event)` after every staff action (the Slack thread, live pages)."""
        self._listeners.append(listener)

    async def _announce(self, event: HandoffEvent) -> None:
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                log.exception("handoff.listener_failed", conversation_id=event.conversation_id)
        await self._engine.conversation_changed(event.conversation_id)

    async def take(self, conversation_id: int, by: StaffMember, source: Source) -> bool:
        """Assign the conversation; the customer is told who joined. False when it is not
        waiting for staff any more (or someone took it already: then nothing changes)."""
        async with transaction(self._sessions) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} not found")
            if conversation.mode != Mode.human:
                return False
            if conversation.assignee == by.key:
                return True
            spoken = conversation.language or self._policy.language
            # The first to take (or to reply) has it; a second person is refused.
            taken = await staff.assign(session, conversation_id, by.key, only_if_free=True)
        if not taken:
            return False
        with speaking(spoken, self._policy.language):  # the customer's language
            joined = joined_text(by)
        await self._engine.send_staff_reply(conversation_id, joined, role=Role.bot)
        await self._announce(HandoffEvent(conversation_id, "take", by, source))
        return True

    async def reply(self, conversation_id: int, by: StaffMember, text: str, source: Source) -> int:
        """Send a staff message to the customer on their channel; the first to reply to an
        untaken handoff takes it. Returns the outbox row's id."""
        async with self._sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"conversation {conversation_id} not found")
        if conversation.mode == Mode.closed:
            raise ConversationClosed(f"conversation {conversation_id} is closed")
        if conversation.mode == Mode.human and not conversation.assignee:
            await self.take(conversation_id, by, source)
        outbox_id = await self._engine.send_staff_reply(conversation_id, text, author=by.key)
        await self._announce(HandoffEvent(conversation_id, "reply", by, source, text))
        return outbox_id

    async def note(self, conversation_id: int, by: StaffMember, text: str, source: Source) -> int:
        """An internal note: stored and shown to staff, never sent to the customer."""
        async with transaction(self._sessions) as session:
            if await session.get(Conversation, conversation_id) is None:
                raise LookupError(f"conversation {conversation_id} not found")
            note = await add_note(session, conversation_id, by.name or by.key, text)
        assert note.id is not None
        await self._announce(HandoffEvent(conversation_id, "note", by, source, text))
        return note.id

    async def hand_back(
        self, conversation_id: int, by: StaffMember, *, resolved: bool, source: Source
    ) -> bool:
        """Back to the bot, once (False when it already was); the customer is told, and
        on resolving asked for a rating where the policy asks on their channel."""
        async with transaction(self._sessions) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} not found")
            spoken = conversation.language
            changed = await staff.return_to_bot(
                session, conversation_id, by=by.key, resolved=resolved
            )
        if not changed:
            return False
        await self._engine.conversation_changed(conversation_id)  # the widget shows "bot"
        told = said_in(RESOLVED_TEXT if resolved else RETURNED_TEXT, spoken, self._policy.language)
        await self._engine.send_staff_reply(conversation_id, told)
        if resolved:
            await self._ask_rating(conversation_id)
        action: Action = "resolve" if resolved else "return"
        await self._announce(HandoffEvent(conversation_id, action, by, source))
        return True

    async def _ask_rating(self, conversation_id: int) -> None:
        """Resolved by staff: the 1-5 question, once per conversation, where the policy
        asks it on this channel. The bot reads the answer (graph/nodes/csat.py)."""
        async with self._sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            spoken = (conversation.language if conversation else None) or self._policy.language
            with speaking(spoken, self._policy.language):
                question = pick(self._policy.csat.question)
            asked = await session.exec(
                select(Message.id).where(
                    Message.conversation_id == conversation_id,
                    col(Message.text).contains(question),
                )
            )
            already = asked.first() is not None
        if conversation is None or already or not self._policy.csat.asks_on(conversation.channel):
            return
        await self._engine.send_staff_reply(
            conversation_id, question, quick_replies=list(RATINGS), role=Role.bot
        )
