"""A hand-built set of conversations whose report figures are worked out by hand.

All in January 2030 (so the demo data, created now, is outside every window we ask for):

1 webchat  contained, 2 turns (order_status 0.9 / 0.8), replies after 200 and 400 ms,
           1 LLM call, 100 tokens, $0.001; CSAT 5; last bot reply at +60.4 s
2 webchat  order 1042 … handoff "customer_request" at +10 s, staff writes at +130 s,
           resolved at +600 s; 1 turn (handoff 0.3), reply after 1000 ms; CSAT 3
3 telegram billing_issue 0.95, reply after 500 ms (delivery failed), 2 LLM calls,
           300 tokens, $0.004; approval approved after 30 s; handoff "agent:budget"
           at +40 s, still open, no staff message
4 telegram closed at +300 s, faq 0.35, reply after 100 ms; approval denied after 90 s
5 webchat  December 2029 (outside the window): a handoff that must not count
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import approvals, csat, messages, tickets, traces
from storage.db import create_engine, session_factory, transaction
from storage.models import (
    Approval,
    Conversation,
    Customer,
    Direction,
    Handoff,
    Message,
    Mode,
    Role,
    Trace,
)

BASE = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
SINCE = datetime(2030, 1, 1, tzinfo=UTC)
UNTIL = datetime(2030, 1, 3, tzinfo=UTC)


class Builder:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seq = 0

    async def conversation(
        self,
        channel: str,
        start: datetime,
        *,
        customer_id: int | None = None,
        mode: Mode = Mode.bot,
        language: str | None = None,
    ) -> int:
        self.seq += 1
        row = Conversation(
            language=language,
            channel=channel,
            channel_chat_id=f"chat-{self.seq}",
            customer_id=customer_id,
            mode=mode,
            created_at=start,
            updated_at=start,
        )
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def turn(
        self,
        conversation_id: int,
        channel: str,
        when: datetime,
        text: str,
        *,
        reply_ms: float,
        intent: str,
        confidence: float,
        route: str = "workflow:faq",
        llm_calls: int = 0,
        tokens: int = 0,
        cost: float = 0.0,
        reply_status: str = "delivered",
        policy: str | None = None,
    ) -> int:
        self.seq += 1
        inbound, _ = await messages.insert_inbound(
            self.session,
            Message(
                conversation_id=conversation_id,
                direction=Direction.inbound,
                role=Role.customer,
                channel=channel,
                channel_message_id=f"in-{self.seq}",
                text=text,
                status="processed",
                created_at=when,
            ),
        )
        await self.session.flush()
        assert inbound.id is not None
        self.session.add(
            Message(
                conversation_id=conversation_id,
                direction=Direction.outbound,
                role=Role.bot,
                channel=channel,
                text=f"reply to {inbound.id}",
                status=reply_status,
                reply_to_id=inbound.id,
                created_at=when + timedelta(milliseconds=reply_ms),
            )
        )
        await traces.add_trace(
            self.session,
            Trace(
                conversation_id=conversation_id,
                message_id=inbound.id,
                intent=intent,
                confidence=confidence,
                route=route,
                node_path=["guard", "classify", "route"],
                llm_calls=llm_calls,
                llm=[{"purpose": "agent", "tokens": tokens}] * llm_calls,
                tokens=tokens,
                cost_usd=cost,
                created_at=when,
                policy_version=policy,
            ),
        )
        return inbound.id

    async def staff_message(self, conversation_id: int, channel: str, when: datetime) -> None:
        self.session.add(
            Message(
                conversation_id=conversation_id,
                direction=Direction.outbound,
                role=Role.staff,
                channel=channel,
                text="Hi, Alex from support here.",
                status="delivered",
                created_at=when,
            )
        )

    async def handoff(
        self, conversation_id: int, reason: str, when: datetime, resolved: datetime | None = None
    ) -> None:
        self.seq += 1
        await tickets.open_handoff(
            self.session,
            Handoff(
                conversation_id=conversation_id,
                reason=reason,
                status="resolved" if resolved else "open",
                created_at=when,
                resolved_at=resolved,
                idempotency_key=f"handoff-{self.seq}",
            ),
        )

    async def approval(
        self, conversation_id: int, message_id: int, when: datetime, wait_s: float, status: str
    ) -> None:
        self.seq += 1
        await approvals.request_approval(
            self.session,
            Approval(
                conversation_id=conversation_id,
                message_id=message_id,
                tool="payments.refund",
                arguments={"charge_id": "ch_1"},
                summary="Refund 30.00 EUR",
                status=status,
                decided_by="U_STAFF",
                decided_at=when + timedelta(seconds=wait_s),
                created_at=when,
                idempotency_key=f"approval-{self.seq}",
            ),
        )


async def build(session: AsyncSession, base: datetime = BASE) -> dict[str, int]:
    """Insert the five conversations (conversation 1 starting at `base`); returns their
    ids by number."""

    def at(seconds: float, day: int = 0, hour: int = 0) -> datetime:
        return base + timedelta(days=day, hours=hour, seconds=seconds)

    b = Builder(session)
    maria = Customer(user_id="cus_report", name="Rita Report", email="rita@example.com")
    session.add(maria)
    await session.flush()
    ids: dict[str, int] = {}

    c1 = ids["1"] = await b.conversation("webchat", at(0), customer_id=maria.id, language="en")
    await b.turn(
        c1,
        "webchat",
        at(0),
        "Where is order 1042?",
        reply_ms=200,
        intent="order_status",
        confidence=0.9,
        route="workflow:order_status",
        policy="aaaa1111",
    )
    await b.turn(
        c1,
        "webchat",
        at(60),
        "and the other one? mail me at rita@example.com",
        reply_ms=400,
        intent="order_status",
        confidence=0.8,
        route="workflow:order_status",
        llm_calls=1,
        tokens=100,
        cost=0.001,
        policy="bbbb2222",  # changed mid-conversation: it counts under its first turn's
    )
    await csat.record_csat(session, conversation_id=c1, score=5, comment="quick!")

    c2 = ids["2"] = await b.conversation("webchat", at(0, hour=1), mode=Mode.bot, language="es")
    await b.turn(
        c2,
        "webchat",
        at(0, hour=1),
        "I want a person",
        reply_ms=1000,
        intent="handoff",
        confidence=0.3,
        route="human",
        policy="aaaa1111",
    )
    await b.handoff(c2, "customer_request", at(10, hour=1), resolved=at(600, hour=1))
    await b.staff_message(c2, "webchat", at(130, hour=1))
    await csat.record_csat(session, conversation_id=c2, score=3)

    c3 = ids["3"] = await b.conversation(
        "telegram", at(0, day=1, hour=-1), mode=Mode.human, language="es"
    )
    m3 = await b.turn(
        c3,
        "telegram",
        at(0, day=1, hour=-1),
        "charged twice!",
        reply_ms=500,
        intent="billing_issue",
        confidence=0.95,
        route="agent",
        llm_calls=2,
        tokens=300,
        cost=0.004,
        reply_status="failed",
        policy="bbbb2222",
    )
    await b.approval(c3, m3, at(1, day=1, hour=-1), 30, "approved")
    await b.handoff(c3, "agent:budget", at(40, day=1, hour=-1))

    c4 = ids["4"] = await b.conversation("telegram", at(0, day=1), mode=Mode.closed)
    m4 = await b.turn(
        c4,
        "telegram",
        at(0, day=1),
        "how do returns work",
        reply_ms=100,
        intent="faq",
        confidence=0.35,
    )
    await b.approval(c4, m4, at(5, day=1), 90, "denied")
    closed = await session.get(Conversation, c4)
    assert closed is not None
    closed.updated_at = at(300, day=1)
    session.add(closed)

    c5 = ids["5"] = await b.conversation("webchat", at(0, day=-31))
    await b.turn(c5, "webchat", at(0, day=-31), "old", reply_ms=50, intent="faq", confidence=0.99)
    await b.handoff(c5, "old_reason", at(5, day=-31))
    return ids


async def load_report_data(url: str, base: datetime = BASE) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await build(session, base)
    finally:
        await engine.dispose()
