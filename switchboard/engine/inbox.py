"""The durable inbox: every inbound message is stored before anything else happens.

A unique key (channel, channel message id) makes a webhook retry a no-op that gets the
first delivery's result; personal data is masked before the row exists; a sender
flooding the bot is throttled (told to slow down at most once a minute)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import InboundMessage, TurnResult
from graph.i18n import N_, said_in
from graph.pii import mask_for_transcript
from graph.policy import Policy
from storage import conversations, customers, messages
from storage.db import transaction
from storage.models import Conversation, Direction, InboundStatus, Message, Role
from switchboard import metrics
from switchboard.engine.background import Background
from switchboard.engine.delivery import Outbox
from switchboard.engine.replies import reply_of
from switchboard.engine.waiting import Waiters
from switchboard.guards import RateLimiter

SLOW_DOWN_REPLY = N_(
    "You're sending messages faster than I can read them, so I've skipped the last few. "
    "Please wait a moment, then send your question again in one message."
)
SLOW_DOWN_EVERY_S = 60.0


def storable_text(text: str) -> str:
    """What any database can hold: no NUL, lone surrogates replaced (U+FFFD), so odd
    input from a platform never fails the insert and is never lost."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


class Inbox:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        outbox: Outbox,
        waiters: Waiters,
        background: Background,
        kick: Callable[[int], None],
        sender_limits: RateLimiter | None = None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._outbox = outbox
        self._waiters = waiters
        self._background = background
        self._kick = kick
        self._sender_limits = sender_limits
        # A throttled sender is told to slow down at most once a minute.
        self._slow_down_notices = RateLimiter(1 / SLOW_DOWN_EVERY_S, 1)
        self.accepting = False

    async def submit(self, message: InboundMessage) -> TurnResult:
        """Store the message and start its turn; a retry gets the first one's result."""
        if not self.accepting:
            raise RuntimeError("engine is not accepting messages")
        # Personal data is masked before the row exists (policy `pii.store`), so no
        # transcript, relay or turn ever holds a card number the workflows never need.
        message = replace(message, text=mask_for_transcript(message.text, self._policy.pii))
        async with transaction(self._sessions) as session:
            customer_id = await self._customer_id(session, message)
            inbound = Message(
                conversation_id=0,  # the conversation's, once known
                direction=Direction.inbound,
                role=Role.customer,
                channel=message.channel,
                channel_message_id=message.channel_message_id,
                text=storable_text(message.text),
                attachments=[storable_text(a)[:200] for a in message.attachments][:10],
                status=InboundStatus.received,
                created_at=message.received_at,
                locale=(message.locale or "")[:16] or None,
            )
            # The usual case, a new message in an open conversation, is one statement.
            stored = await messages.insert_into_open_conversation(
                session,
                inbound,
                channel_chat_id=message.channel_chat_id,
                customer_id=customer_id,
            )
            conversation: Conversation | None = None
            if stored is not None:
                row, mode = stored
                created = True
            else:
                conversation = await conversations.open_conversation(
                    session,
                    channel=message.channel,
                    channel_chat_id=message.channel_chat_id,
                    customer_id=customer_id,
                )
                inbound.conversation_id = conversation.id  # type: ignore[assignment]
                row, created = await messages.insert_inbound(session, inbound)
                mode = str(conversation.mode)
            message_id, conversation_id = row.id, row.conversation_id
            notice = None
            sender = f"{message.channel}:{message.channel_user_id}"
            throttled = created and self._over_limit(sender)
            if throttled:
                row.status = InboundStatus.throttled
                session.add(row)
                if not self._slow_down_notices.retry_after(sender):
                    if conversation is None:  # its language and its channel's address
                        conversation = await conversations.get_conversation(
                            session, conversation_id
                        )
                        assert conversation is not None
                    notice = await self._outbox.queue(
                        session,
                        conversation_id=conversation_id,
                        channel=message.channel,
                        text=said_in(SLOW_DOWN_REPLY, conversation.language, self._policy.language),
                        reply_to_id=message_id,
                    )
        assert message_id is not None
        if throttled:
            metrics.THROTTLED.labels(message.channel).inc()
            if notice is not None:
                assert conversation is not None
                self._background.spawn(self._outbox.deliver(notice, conversation))
            replies = (reply_of(notice),) if notice is not None else ()
            return TurnResult(message_id, conversation_id, mode, replies, route="throttled")
        if not created:
            metrics.DUPLICATES.labels(message.channel).inc()
            return await self._waiters.result(message_id, duplicate=True)
        metrics.INBOUND.labels(message.channel).inc()
        self._kick(conversation_id)
        return TurnResult(message_id, conversation_id, mode, ())

    def _over_limit(self, sender: str) -> bool:
        """Per sender (a Telegram or Slack account, a web chat visitor), per replica: one
        person flooding the bot slows only themselves, and costs no model calls."""
        return self._sender_limits is not None and self._sender_limits.retry_after(sender) > 0

    async def _customer_id(self, session: AsyncSession, message: InboundMessage) -> int | None:
        if message.verified_customer_id is not None:
            return message.verified_customer_id
        return await customers.customer_id_for(
            session,
            user_id=message.verified_user_id,
            channel=message.channel,
            channel_user_id=message.channel_user_id,
        )
