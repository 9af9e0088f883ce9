"""The staff desk's storage: notification delivery state, staff threads, handoff actions.

Notifications are claimed with a conditional update (pending → sending) so one poster
owns each row; a row a crash left in `sending` is put back to `pending` on start.
Mode changes are conditional updates too, so a double click resolves a handoff once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Approval,
    Conversation,
    Customer,
    Handoff,
    Message,
    Mode,
    StaffNotification,
    StaffThread,
    Ticket,
    utcnow,
)
from storage.tickets import handoff_fields
from storage.webhooks import queue_event, subscribed

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


# --- notifications --------------------------------------------------------------------


async def pending_notifications(session: AsyncSession, limit: int = 100) -> list[StaffNotification]:
    result = await session.exec(
        select(StaffNotification)
        .where(StaffNotification.status == PENDING)
        .order_by(col(StaffNotification.id))
        .limit(limit)
    )
    return list(result.all())


async def claim_notification(session: AsyncSession, notification_id: int) -> bool:
    """True when this caller moved the row from pending to sending (and so must post it)."""
    result = await session.exec(
        update(StaffNotification)
        .where(
            col(StaffNotification.id) == notification_id, col(StaffNotification.status) == PENDING
        )
        .values(status=SENDING, claimed_at=utcnow())
    )
    return bool(result.rowcount)


async def finish_notification(session: AsyncSession, notification_id: int, status: str) -> None:
    """`sent`, `failed`, or `pending` again (a temporary failure, retried later)."""
    await session.exec(
        update(StaffNotification)
        .where(col(StaffNotification.id) == notification_id)
        .values(status=status)
    )


#: A claim older than this was made by a desk that died: no post takes this long (the
#: Slack client gives up after 15 s a call, and a notification is at most a few calls).
STALE_CLAIM = timedelta(minutes=2)


async def requeue_stale_claims(session: AsyncSession, older_than: timedelta = STALE_CLAIM) -> int:
    """Rows a crashed process was posting go back to pending (posted again, at least once).
    A claim younger than `older_than` is left alone: another replica is posting it now."""
    stale = or_(
        col(StaffNotification.claimed_at).is_(None),
        col(StaffNotification.claimed_at) < utcnow() - older_than,
    )
    result = await session.exec(
        update(StaffNotification)
        .where(col(StaffNotification.status) == SENDING, stale)
        .values(status=PENDING, claimed_at=None)
    )
    return int(result.rowcount or 0)


# --- staff threads --------------------------------------------------------------------


async def thread_for_conversation(
    session: AsyncSession, conversation_id: int, platform: str = "slack"
) -> StaffThread | None:
    result = await session.exec(
        select(StaffThread).where(
            StaffThread.conversation_id == conversation_id, StaffThread.platform == platform
        )
    )
    return result.first()


async def thread_by_ref(
    session: AsyncSession, *, channel_ref: str, thread_ref: str, platform: str = "slack"
) -> StaffThread | None:
    result = await session.exec(
        select(StaffThread).where(
            StaffThread.platform == platform,
            StaffThread.channel_ref == channel_ref,
            StaffThread.thread_ref == thread_ref,
        )
    )
    return result.first()


async def save_thread(
    session: AsyncSession,
    *,
    conversation_id: int,
    channel_ref: str,
    thread_ref: str,
    platform: str = "slack",
) -> StaffThread:
    """One thread per conversation: a second handoff moves it to the newest card."""
    thread = await thread_for_conversation(session, conversation_id, platform)
    if thread is None:
        thread = StaffThread(
            conversation_id=conversation_id, platform=platform, channel_ref="", thread_ref=""
        )
    thread.channel_ref = channel_ref
    thread.thread_ref = thread_ref
    session.add(thread)
    await session.flush()
    return thread


# --- handoff actions ------------------------------------------------------------------


async def latest_handoff(session: AsyncSession, conversation_id: int) -> Handoff | None:
    result = await session.exec(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id)
        .order_by(col(Handoff.id).desc())
    )
    return result.first()


async def assign(
    session: AsyncSession, conversation_id: int, assignee: str, *, only_if_free: bool = False
) -> bool:
    """Store who took the conversation (on it and on its open handoff); False if it is not
    with staff any more, or (`only_if_free`) someone else has it already."""
    where = [col(Conversation.id) == conversation_id, col(Conversation.mode) == Mode.human]
    if only_if_free:
        where.append(col(Conversation.assignee).is_(None))
    result = await session.exec(
        update(Conversation).where(*where).values(assignee=assignee, updated_at=utcnow())
    )
    if not result.rowcount:
        return False
    await session.exec(
        update(Handoff)
        .where(col(Handoff.conversation_id) == conversation_id, col(Handoff.status) == "open")
        .values(assignee=assignee)
    )
    return True


async def return_to_bot(
    session: AsyncSession, conversation_id: int, *, by: str, resolved: bool
) -> bool:
    """Human → bot mode, once: the first of two clicks wins and the second gets False.
    `resolved` also closes the handoff's ticket; returning to the bot leaves it open."""
    result = await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id, col(Conversation.mode) == Mode.human)
        .values(mode=Mode.bot, updated_at=utcnow())
    )
    if not result.rowcount:
        return False
    handoffs = (
        await session.exec(
            select(Handoff).where(
                Handoff.conversation_id == conversation_id, Handoff.status != "resolved"
            )
        )
    ).all()
    for handoff in handoffs:
        handoff.status = "resolved"
        handoff.resolved_at = utcnow()
        handoff.assignee = handoff.assignee or by
        session.add(handoff)
        if resolved and handoff.ticket_id is not None:
            await session.exec(
                update(Ticket)
                .where(col(Ticket.id) == handoff.ticket_id)
                .values(status="resolved", updated_at=utcnow())
            )
    await _queue_hand_back(session, conversation_id, list(handoffs), by=by, resolved=resolved)
    return True


async def _queue_hand_back(
    session: AsyncSession, conversation_id: int, handoffs: list[Handoff], *, by: str, resolved: bool
) -> None:
    """Webhooks: each handoff closed (resolved, or returned to the bot unresolved), and
    the conversation resolved when staff resolved it."""
    outcome = "resolved" if resolved else "returned_to_bot"
    if subscribed(session, "handoff.resolved"):
        await session.flush()  # the ticket's new status, for the payload
        for handoff in handoffs:
            fields = await handoff_fields(session, handoff)
            await queue_event(
                session,
                "handoff.resolved",
                f"handoff:{handoff.id}",
                conversation_id=conversation_id,
                handoff=fields,
                outcome=outcome,
                by=by,
            )
    if resolved:
        last = max((h.id for h in handoffs if h.id is not None), default=None)
        await queue_event(
            session,
            "conversation.resolved",
            f"conversation:{conversation_id}:handoff:{last}"
            if last
            else f"conversation:{conversation_id}:{utcnow().isoformat()}",
            conversation_id=conversation_id,
            how="staff",
            by=by,
        )


# --- what staff look up ---------------------------------------------------------------


async def recent_messages(session: AsyncSession, conversation_id: int, limit: int) -> list[Message]:
    result = await session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.id).desc())
        .limit(limit)
    )
    return list(reversed(result.all()))


async def open_handoffs(
    session: AsyncSession, limit: int = 50
) -> list[tuple[Handoff, Conversation, Customer | None]]:
    result = await session.exec(
        select(Handoff, Conversation, Customer)
        .join(Conversation, col(Conversation.id) == col(Handoff.conversation_id))
        .outerjoin(Customer, col(Customer.id) == col(Conversation.customer_id))
        .where(Handoff.status == "open", Conversation.mode == Mode.human)
        .order_by(col(Handoff.id))
        .limit(limit)
    )
    return [tuple(row) for row in result.all()]  # type: ignore[misc]


async def pending_approvals(session: AsyncSession, limit: int = 50) -> list[Approval]:
    result = await session.exec(
        select(Approval).where(Approval.status == "pending").order_by(col(Approval.id)).limit(limit)
    )
    return list(result.all())


async def ticket_by_number(session: AsyncSession, number: str) -> Ticket | None:
    """`SB-1001`, `sb-1001` or just `1001`."""
    wanted = number.strip().upper()
    if wanted.isdigit():
        wanted = f"SB-{wanted}"
    return (await session.exec(select(Ticket).where(Ticket.number == wanted))).first()
