"""The outbox: stored replies sent through their channel's adapter, with retries and
backoff, dead-lettered after the last attempt. A channel whose client reads our store
(web chat) has its replies delivered by the commit that stored them; sending is then
only the push to open sockets.

Each reply is fitted to its channel's declared capabilities here, the one place for
every channel (`bots.fitting.fit_to`): a long one goes as several platform messages, in
order, still one outbox row; choices the channel cannot show as buttons go as numbered
text. The platform ids of each part sent are written to the row (`sent_parts`) as soon as
it is sent, so any later attempt (a retry, another process after a crash, another
replica's sweep, a staff retry) sends only the parts not sent yet."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import (
    ChannelAdapter,
    ChannelCapabilities,
    Delivered,
    DeliveryFailed,
    DeliveryRefused,
    OutboundMessage,
)
from bots.fitting import fit_to
from storage import messages
from storage.db import transaction
from storage.models import Conversation, Direction, Message, OutboundStatus, Role
from switchboard import metrics

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    attempts: int = 5
    first_backoff_s: float = 0.5
    max_backoff_s: float = 30.0


def outbound_message(row: Message, conversation: Conversation) -> OutboundMessage:
    """An outbox row as a channel adapter receives it."""
    return OutboundMessage(
        outbox_id=row.id,  # type: ignore[arg-type]
        conversation_id=row.conversation_id,
        channel=row.channel,
        channel_chat_id=conversation.channel_chat_id,
        text=row.text,
        quick_replies=tuple(row.quick_replies),
        role=str(row.role),
    )


class Outbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, ChannelAdapter],
        policy: DeliveryPolicy,
    ) -> None:
        self._sessions = sessions
        self._adapters = adapters  # the engine's own dict: adapters added later count
        self._policy = policy

    def capabilities(self, channel: str) -> ChannelCapabilities | None:
        adapter = self._adapters.get(channel)
        return adapter.capabilities if adapter is not None else None

    def _served_from_store(self, channel: str) -> bool:
        capabilities = self.capabilities(channel)
        return capabilities is not None and capabilities.replies_served_from_store

    async def queue(
        self,
        session: AsyncSession,
        *,
        conversation_id: int,
        channel: str,
        text: str,
        role: Role = Role.bot,
        quick_replies: list[str] | None = None,
        reply_to_id: int | None = None,
        author: str | None = None,
    ) -> Message:
        """An outbox row in the caller's transaction: pending, or delivered already when
        the channel's client reads our store (web chat)."""
        return await messages.add_outbound(
            session,
            conversation_id=conversation_id,
            channel=channel,
            text=text,
            role=role,
            quick_replies=quick_replies,
            reply_to_id=reply_to_id,
            delivered=self._served_from_store(channel),
            author=author,
        )

    async def reset_failed(self, outbox_id: int) -> tuple[int | None, str]:
        """A dead letter back to pending for a staff retry: (its conversation, status);
        no conversation when it was not failed (nothing to retry)."""
        async with transaction(self._sessions) as session:
            row = await session.get(Message, outbox_id, with_for_update=True)
            if row is None or row.direction != Direction.outbound:
                raise LookupError(f"no outbound message {outbox_id}")
            if row.status != OutboundStatus.failed:
                return None, str(row.status)
            row.status = OutboundStatus.pending
            row.attempts = 0
            row.error = None
            session.add(row)
            return row.conversation_id, str(row.status)

    async def status(self, outbox_id: int) -> str:
        async with self._sessions() as session:
            row = await session.get(Message, outbox_id)
        return str(row.status) if row else "unknown"

    async def deliver_stored(self, outbox_id: int) -> None:
        """Deliver a stored reply that may have been delivered already (resume, retry)."""
        async with self._sessions() as session:
            row = await session.get(Message, outbox_id)
            conversation = await session.get(Conversation, row.conversation_id) if row else None
        if row is None or conversation is None or row.status != OutboundStatus.pending:
            return
        await self.deliver(row, conversation)

    async def deliver(self, row: Message, conversation: Conversation) -> None:
        """Send one reply with retries and backoff; dead-letter it after the last."""
        assert row.id is not None
        outbox_id = row.id
        adapter = self._adapters.get(row.channel)
        if adapter is None:
            await self._mark_failed(row, conversation, f"channel {row.channel} is not configured")
            return
        outbound = outbound_message(row, conversation)
        if row.status == OutboundStatus.delivered:
            # Stored is delivered (the widget reads its history): the push to open
            # sockets is the fast path only, so no retries and no status to write.
            try:
                await self._send_parts(adapter, outbound, [], persist=False)
            except Exception:
                log.warning("delivery.push_failed", outbox_id=outbox_id, exc_info=True)
            metrics.DELIVERED.labels(row.channel).inc()
            return
        sent = [list(ids) for ids in row.sent_parts]  # grows across attempts, persisted
        backoff = self._policy.first_backoff_s
        for attempt in range(1, self._policy.attempts + 1):
            try:
                delivered = await self._send_parts(adapter, outbound, sent, persist=True)
            except DeliveryRefused as exc:
                await self._mark_failed(row, conversation, str(exc))
                return
            except Exception as exc:
                retry_after = exc.retry_after if isinstance(exc, DeliveryFailed) else None
                log.warning(
                    "delivery.retry", outbox_id=outbox_id, attempt=attempt, error=str(exc)[:200]
                )
                async with transaction(self._sessions) as session:
                    await messages.count_attempt(session, outbox_id)
                if attempt == self._policy.attempts:
                    await self._mark_failed(row, conversation, str(exc))
                    return
                await asyncio.sleep(retry_after if retry_after is not None else backoff)
                backoff = min(backoff * 2, self._policy.max_backoff_s)
                continue
            async with transaction(self._sessions) as session:
                ids = delivered.channel_message_ids
                await messages.mark_outbound(
                    session,
                    outbox_id,
                    OutboundStatus.delivered,
                    channel_message_id=f"out:{outbox_id}:{ids[0]}" if ids else None,
                )
            metrics.DELIVERED.labels(row.channel).inc()
            return

    async def _send_parts(
        self,
        adapter: ChannelAdapter,
        message: OutboundMessage,
        sent: list[list[str]],
        *,
        persist: bool,
    ) -> Delivered:
        """The reply as the channel can show it, part after part, skipping the parts in
        `sent` and appending to it each part sent."""
        parts = fit_to(adapter.capabilities, message.text, message.quick_replies)
        if not parts:
            log.info("delivery.nothing_to_send", outbox_id=message.outbox_id)
        for part in parts[len(sent) :]:
            fitted = replace(message, text=part.text, quick_replies=part.quick_replies)
            sent.append(list((await adapter.send(fitted)).channel_message_ids))
            if persist and len(parts) > 1:  # a single part is recorded by its status write
                await self._record_sent(message.outbox_id, sent)
        return Delivered(tuple(i for ids in sent for i in ids))

    async def _record_sent(self, outbox_id: int, sent: list[list[str]]) -> None:
        async with transaction(self._sessions) as session:
            await messages.record_sent_part(session, outbox_id, sent)

    async def _mark_failed(self, row: Message, conversation: Conversation, error: str) -> None:
        metrics.DELIVERY_FAILURES.labels(row.channel).inc()
        log.warning("delivery.failed", outbox_id=row.id, error=error[:200])
        assert row.id is not None  # a stored row
        async with transaction(self._sessions) as session:
            await messages.mark_outbound(session, row.id, OutboundStatus.failed, error=error[:500])
            fresh = await session.get(Conversation, conversation.id)
            if fresh is not None:
                fresh.delivery_error = error[:500]
                session.add(fresh)
