"""What the support team sees: the report's figures, each computed in SQL.

One window (conversations started in [since, until), optionally one channel) and every
figure is about those conversations: their turns (traces), replies, handoffs, approvals
and satisfaction answers. Nothing is loaded row by row into Python, so the report costs
the same few queries on ten conversations or ten million, on SQLite and PostgreSQL.

Definitions (also in the README):
- contained: a conversation with no handoff and no staff message: no person was needed.
- first response, bot: an inbound message to the first bot reply to it (`reply_to_id`);
  staff: a handoff to the first staff message after it in that conversation.
- resolved at: the last handoff's `resolved_at` when there were handoffs (open → not
  resolved), else the close time of a closed conversation, else its last bot reply.
- approvals: approve rate over decided ones; wait = decided_at - created_at.
- languages: per conversation language (graph/language.py), containment, handoffs, CSAT.
- policy versions: the same per policy version (the content hash a conversation's first
  turn ran under), earliest first: before and after each change.
- shadow: turns the shadow policy decided again (`SWITCHBOARD_SHADOW_POLICY`), the share
  it agreed on (same intent and route), and the most frequent disagreements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from storage.models import (
    Approval,
    Conversation,
    CsatResponse,
    Handoff,
    Message,
    ShadowDecision,
    Trace,
)
from switchboard.reports.sql import ms_between, percentiles, utc_day

C = Conversation.__table__.c  # type: ignore[attr-defined]
M = Message.__table__.c  # type: ignore[attr-defined]
T = Trace.__table__.c  # type: ignore[attr-defined]
H = Handoff.__table__.c  # type: ignore[attr-defined]
A = Approval.__table__.c  # type: ignore[attr-defined]
S = CsatResponse.__table__.c  # type: ignore[attr-defined]
D = ShadowDecision.__table__.c  # type: ignore[attr-defined]
#: Disagreements the shadow block lists, most frequent first.
TOP_DISAGREEMENTS = 10


@dataclass(frozen=True)
class Window:
    """Conversations started in [since, until), on one channel or all."""

    since: datetime
    until: datetime
    channel: str | None = None
    low_confidence: float = 0.4
    """Turns classified below this confidence count as low confidence (the policy's)."""

    @classmethod
    def last(cls, days: float, **kwargs: Any) -> Window:
        now = datetime.now(UTC)
        return cls(since=now - timedelta(days=days), until=now + timedelta(seconds=1), **kwargs)


@dataclass
class Report:
    figures: dict[str, Any]
    days: list[dict[str, Any]] = field(default_factory=list)


def in_window(window: Window) -> ColumnElement[bool]:
    """The conversations a report is about, as a predicate on conversations."""
    clauses = [C.created_at >= window.since, C.created_at < window.until]
    if window.channel:
        clauses.append(C.channel == window.channel)
    return and_(*clauses)


def _scope(window: Window) -> Any:
    return select(C.id).where(in_window(window))


def contained(conversation_id: Any) -> ColumnElement[bool]:
    """No handoff and no staff message: the bot handled it alone."""
    return and_(
        ~exists().where(H.conversation_id == conversation_id),
        ~exists().where(M.conversation_id == conversation_id, M.role == "staff"),
    )


def _rate(part: Any, whole: Any) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def _ms(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


async def _one(conn: AsyncConnection, query: Any) -> Any:
    return (await conn.execute(query)).one()


async def _totals(conn: AsyncConnection, window: Window) -> dict[str, Any]:
    handed = exists().where(H.conversation_id == C.id)
    row = await _one(
        conn,
        select(
            func.count(),
            func.sum(case((contained(C.id), 1), else_=0)),
            func.sum(case((handed, 1), else_=0)),
        ).where(in_window(window)),
    )
    total = int(row[0])
    return {
        "conversations": total,
        "containment_rate": _rate(row[1] or 0, total),
        "handoff_rate": _rate(row[2] or 0, total),
    }


async def _handoff_reasons(conn: AsyncConnection, window: Window) -> dict[str, int]:
    rows = await conn.execute(
        select(H.reason, func.count())
        .where(H.conversation_id.in_(_scope(window)))
        .group_by(H.reason)
        .order_by(func.count().desc(), H.reason)
    )
    return {reason: int(n) for reason, n in rows}


def bot_response_ms(window: Window) -> Any:
    """Per inbound message: ms to the first bot reply to it (subquery with `v`, `day`)."""
    inbound = Message.__table__.alias("inbound")  # type: ignore[attr-defined]
    first_reply = (
        select(func.min(M.created_at))
        .where(M.reply_to_id == inbound.c.id, M.role == "bot")
        .scalar_subquery()
    )
    return (
        select(
            ms_between(first_reply, inbound.c.created_at).label("v"),
            utc_day(inbound.c.created_at).label("day"),
        )
        .where(
            inbound.c.direction == "inbound",
            inbound.c.conversation_id.in_(_scope(window)),
        )
        .subquery()
    )


def staff_response_ms(window: Window) -> Any:
    """Per handoff: ms to the first staff message after it in that conversation."""
    first_staff = (
        select(func.min(M.created_at))
        .where(
            M.conversation_id == H.conversation_id,
            M.role == "staff",
            M.created_at >= H.created_at,
        )
        .scalar_subquery()
    )
    return (
        select(
            ms_between(first_staff, H.created_at).label("v"),
            utc_day(H.created_at).label("day"),
        )
        .where(H.conversation_id.in_(_scope(window)))
        .subquery()
    )


def resolved_at() -> Any:
    """When the conversation (C) was resolved, or NULL while it is not."""
    last_handoff = (
        select(H.resolved_at)
        .where(H.conversation_id == C.id)
        .order_by(H.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_bot_reply = (
        select(func.max(M.created_at))
        .where(M.conversation_id == C.id, M.role == "bot", M.direction == "outbound")
        .scalar_subquery()
    )
    return case(
        (exists().where(H.conversation_id == C.id), last_handoff),
        (C.mode == "closed", C.updated_at),
        else_=last_bot_reply,
    )


async def _first_response(conn: AsyncConnection, window: Window) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for who, values in (("bot", bot_response_ms(window)), ("staff", staff_response_ms(window))):
        row = await _one(conn, percentiles(values, 50, 90))
        figures[who] = {"p50": _ms(row.p50), "p90": _ms(row.p90)}
    return figures


async def _resolution(conn: AsyncConnection, window: Window) -> float | None:
    minutes = (
        select((ms_between(resolved_at(), C.created_at) / 60000.0).label("v"))
        .where(in_window(window))
        .subquery()
    )
    row = await _one(conn, percentiles(minutes, 50))
    return round(float(row.p50), 2) if row.p50 is not None else None


async def _csat(conn: AsyncConnection, window: Window, conversations: int) -> dict[str, Any]:
    row = await _one(
        conn,
        select(func.avg(S.score), func.count()).where(S.conversation_id.in_(_scope(window))),
    )
    average = round(float(row[0]), 2) if row[0] is not None else None
    return {
        "average": average,
        "responses": int(row[1]),
        "response_rate": _rate(row[1], conversations),
    }


async def _intents(conn: AsyncConnection, window: Window) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            T.intent,
            func.count(),
            func.sum(case((contained(T.conversation_id), 1), else_=0)),
            func.avg(T.confidence),
        )
        .where(T.conversation_id.in_(_scope(window)), T.intent.is_not(None))
        .group_by(T.intent)
        .order_by(func.count().desc(), T.intent)
    )
    return [
        {
            "intent": intent,
            "turns": int(turns),
            "containment_rate": _rate(kept or 0, turns),
            "avg_confidence": round(float(confidence), 4) if confidence is not None else None,
        }
        for intent, turns, kept, confidence in rows
    ]


async def _split(
    conn: AsyncConnection, window: Window, key: ColumnElement[Any], *, by_time: bool = False
) -> list[tuple[Any, int, float | None, float | None, float | None, Any]]:
    """Per value of `key` (one per conversation): conversations, containment and handoff
    rates, CSAT average and the first conversation's start; most conversations first, or
    the earliest first with `by_time`. One row of csat per conversation at most."""
    handed = exists().where(H.conversation_id == C.id)
    per = (
        select(
            key.label("key"),
            case((contained(C.id), 1), else_=0).label("kept"),
            case((handed, 1), else_=0).label("handed"),
            S.score.label("score"),
            C.created_at.label("started"),
        )
        .select_from(
            Conversation.__table__.outerjoin(  # type: ignore[attr-defined]
                CsatResponse.__table__,  # type: ignore[attr-defined]
                S.conversation_id == C.id,
            )
        )
        .where(in_window(window))
        .subquery()
    )
    first = func.min(per.c.started)
    order = (first,) if by_time else (func.count().desc(), per.c.key.is_(None), per.c.key)
    rows = await conn.execute(
        select(
            per.c.key,
            func.count(),
            func.sum(per.c.kept),
            func.sum(per.c.handed),
            func.avg(per.c.score),
            first,
        )
        .group_by(per.c.key)
        .order_by(*order)
    )
    return [
        (
            value,
            int(n),
            _rate(kept or 0, n),
            _rate(handed_n or 0, n),
            round(float(score), 2) if score is not None else None,
            started,
        )
        for value, n, kept, handed_n, score, started in rows
    ]


async def _languages(conn: AsyncConnection, window: Window) -> list[dict[str, Any]]:
    """Per conversation language (None: not recorded, before languages were): how the
    bot does for customers in each."""
    return [
        {
            "language": language,
            "conversations": n,
            "containment_rate": kept,
            "handoff_rate": handed,
            "csat_average": score,
        }
        for language, n, kept, handed, score, _started in await _split(conn, window, C.language)
    ]


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC), PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _policy_versions(conn: AsyncConnection, window: Window) -> list[dict[str, Any]]:
    """Per policy version (its content hash, as the conversation's first turn ran under
    it; None: no turn traced one), earliest first: the team sees containment, handoffs
    and satisfaction before and after each change."""
    first_turn = (
        select(T.policy_version)
        .where(T.conversation_id == C.id)
        .order_by(T.id)
        .limit(1)
        .scalar_subquery()
    )
    return [
        {
            "policy_version": version,
            "conversations": n,
            "containment_rate": kept,
            "handoff_rate": handed,
            "csat_average": score,
            "first_conversation_at": _utc(started).isoformat() if started else None,
        }
        for version, n, kept, handed, score, started in await _split(
            conn, window, first_turn, by_time=True
        )
    ]


async def _turns(conn: AsyncConnection, window: Window, conversations: int) -> dict[str, Any]:
    row = await _one(
        conn,
        select(
            func.count(),
            func.sum(case((T.confidence < window.low_confidence, 1), else_=0)),
            func.coalesce(func.sum(T.llm_calls), 0),
            func.coalesce(func.sum(T.tokens), 0),
            func.coalesce(func.sum(T.cost_usd), literal(0.0)),
        ).where(T.conversation_id.in_(_scope(window))),
    )
    turns, low, calls, tokens, cost = row
    return {
        "turns": int(turns),
        "low_confidence_share": _rate(low or 0, turns),
        "llm_calls_per_turn": _rate(calls, turns),
        "tokens_per_conversation": _rate(tokens, conversations),
        "cost_usd": round(float(cost), 6),
    }


async def _approvals(conn: AsyncConnection, window: Window) -> dict[str, Any]:
    scope = A.conversation_id.in_(_scope(window))
    approved = A.status.in_(("approved", "approving"))
    row = await _one(
        conn,
        select(
            func.count(),
            func.sum(case((A.decided_at.is_not(None), 1), else_=0)),
            func.sum(case((and_(approved, A.decided_at.is_not(None)), 1), else_=0)),
        ).where(scope),
    )
    waits = (
        select((ms_between(A.decided_at, A.created_at) / 1000.0).label("v"))
        .where(scope, A.decided_at.is_not(None))
        .subquery()
    )
    wait = await _one(conn, percentiles(waits, 50))
    return {
        "count": int(row[0]),
        "approve_rate": _rate(row[2] or 0, row[1] or 0),
        "median_wait_s": round(float(wait.p50), 1) if wait.p50 is not None else None,
    }


async def _delivery_failures(conn: AsyncConnection, window: Window) -> int:
    row = await _one(
        conn,
        select(func.count()).where(
            M.direction == "outbound",
            M.status == "failed",
            M.conversation_id.in_(_scope(window)),
        ),
    )
    return int(row[0])


async def _shadow(conn: AsyncConnection, window: Window) -> dict[str, Any]:
    """What the shadow policy decided on this window's turns beside what the live one did."""
    scope = D.conversation_id.in_(_scope(window))
    decided, agreed = (
        await conn.execute(
            select(func.count(), func.sum(case((D.agrees, 1), else_=0))).where(scope)
        )
    ).one()
    pairs = (T.intent, T.route, D.intent, D.route)
    rows = await conn.execute(
        select(*pairs, func.count())
        .select_from(
            ShadowDecision.__table__.join(  # type: ignore[attr-defined]
                Trace.__table__,  # type: ignore[attr-defined]
                T.message_id == D.message_id,
            )
        )
        .where(scope, D.agrees.is_(False))
        .group_by(*pairs)
        .order_by(func.count().desc(), *pairs)
        .limit(TOP_DISAGREEMENTS)
    )
    return {
        "decisions": int(decided),
        "agreement_rate": _rate(agreed or 0, decided),
        "disagreements": [
            {
                "live_intent": live_intent,
                "live_route": live_route,
                "shadow_intent": shadow_intent,
                "shadow_route": shadow_route,
                "turns": int(n),
            }
            for live_intent, live_route, shadow_intent, shadow_route, n in rows
        ],
    }


async def build_report(conn: AsyncConnection, window: Window) -> dict[str, Any]:
    """Every figure of `switchboard report --json`, in its documented key order."""
    totals = await _totals(conn, window)
    conversations = totals["conversations"]
    turns = await _turns(conn, window, conversations)
    return {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "channel": window.channel,
        **totals,
        "handoff_reasons": await _handoff_reasons(conn, window),
        "first_response_ms": await _first_response(conn, window),
        "resolution_minutes_p50": await _resolution(conn, window),
        "csat": await _csat(conn, window, conversations),
        "intents": await _intents(conn, window),
        "languages": await _languages(conn, window),
        "policy_versions": await _policy_versions(conn, window),
        **turns,
        "approvals": await _approvals(conn, window),
        "delivery_failures": await _delivery_failures(conn, window),
        "shadow": await _shadow(conn, window),
    }
