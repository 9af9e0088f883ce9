"""Replaying stored conversations through a new policy, turn by turn, with the real turn
machinery (`TurnRunner`) in a sandbox: an in-memory checkpointer (the stored checkpoints
are never read or written), a rolled-back transaction per conversation, the company's
systems never changed (replay/connectors.py), and no model unless asked for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import tools.catalog  # noqa: F401  (registers the built-in tools)
from graph.policy import Policy
from graph.runner import TurnOutcome, TurnRequest, TurnRunner, customer_fields
from graph.state import Reply
from storage import conversations, traces
from storage.db import create_engine, session_factory
from storage.models import Message, Mode
from switchboard.replay.compare import (
    TurnView,
    changes,
    not_run_view,
    original_view,
    replayed_view,
)
from switchboard.replay.connectors import CallLog
from switchboard.replay.decisions import Decisions
from switchboard.replay.runner import sandboxed_runner
from switchboard.replay.sandbox import forget_own_effects
from switchboard.replay.source import Selection, StoredConversation, stored_conversations
from switchboard.runtime import _chat_model
from switchboard.settings import Settings

#: Changed turns a report shows side by side; beyond, they are only counted.
MAX_SHOWN = 500


@dataclass
class ReplayedTurn:
    conversation_id: int
    message_id: int
    text: str
    at: datetime
    original: TurnView
    replayed: TurnView
    changed: list[str]


@dataclass
class ReplayReport:
    policy: str
    policy_version: str
    llm: bool
    live_reads: bool
    selection: Selection = field(default_factory=Selection)
    admin_url: str | None = None
    """Where a conversation is read: `{admin_url}/{id}` (None: no public URL set)."""
    conversations: int = 0
    turns: int = 0
    """Bot turns replayed (and turns the replay handed to a person before they came)."""
    changed_turns: int = 0
    changed: list[ReplayedTurn] = field(default_factory=list)
    """The first `MAX_SHOWN` changed turns, side by side (memory stays flat)."""
    by_kind: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    """Stored messages that were no bot turn, by why (`with a person`, `throttled`)."""
    connector_calls: Counter[str] = field(default_factory=Counter)
    """Replayed connector calls by how they were served (`would call`, `from trace`...)."""
    approvals_decided: int = 0
    """Approvals the replay decided as staff had decided the original's."""
    seconds: float = 0.0
    """Replaying (turns per second are over this); loading the models is `setup_seconds`."""
    setup_seconds: float = 0.0

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def replay(
    settings: Settings,
    policy: Policy,
    selection: Selection,
    *,
    llm: bool = False,
    live_reads: bool = False,
    policy_label: str = "",
) -> ReplayReport:
    """Replay the selected conversations of `settings.database_url` through `policy`."""
    public = "public_url" in settings.model_fields_set and settings.public_url
    report = ReplayReport(
        policy=policy_label,
        policy_version=policy.version,
        llm=llm and bool(settings.llm_model),
        live_reads=live_reads,
        selection=selection,
        admin_url=f"{settings.public_url.rstrip('/')}/admin/conversations" if public else None,
    )
    db = create_engine(settings.database_url)
    started = perf_counter()
    try:
        reading = session_factory(db)
        model = (
            {
                "chat_model": _chat_model(settings),
                "model_name": settings.llm_model or "",
                "daily_token_budget": settings.llm_daily_token_budget,
            }
            if report.llm
            else {"daily_token_budget": settings.llm_daily_token_budget}
        )
        async with sandboxed_runner(
            settings, db, reading, policy, live_reads=live_reads, **model
        ) as sandboxed_turns:
            runner, saver = sandboxed_turns.runner, sandboxed_turns.saver
            sandbox, calls = sandboxed_turns.sandbox, sandboxed_turns.calls
            report.setup_seconds = perf_counter() - started
            started = perf_counter()
            async for stored in stored_conversations(reading, selection):
                async with sandbox.conversation():
                    threads = await _replay_conversation(
                        runner, sandbox.sessions, calls, stored, report
                    )
                for thread in [str(stored.id), *threads]:
                    await saver.adelete_thread(thread)
    finally:
        report.seconds = perf_counter() - started
        await db.dispose()
    return report


async def _replay_conversation(
    runner: TurnRunner,
    sessions: async_sessionmaker[AsyncSession],
    calls: CallLog,
    stored: StoredConversation,
    report: ReplayReport,
) -> list[str]:
    """Replays one conversation; returns the approval threads it started."""
    report.conversations += 1
    async with sessions() as session, session.begin():
        decisions = await Decisions.of(session, stored.id)
        await forget_own_effects(session, stored.id)
    language: str | None = None
    with_person = False
    channel = stored.conversation.channel
    for turn in stored.turns:
        if turn.trace is None:
            report.skipped[turn.skipped_because or "?"] += 1
            continue
        original = original_view(turn.trace, turn.replies)
        report.turns += 1
        if with_person:
            replayed = not_run_view()
        else:
            at = _utc(turn.message.created_at)
            calls.start_turn([])
            report.approvals_decided += await decisions.decide_due(
                runner, sessions, stored.customer, channel, language, before=at
            )
            calls.start_turn(list(turn.trace.tool_calls))
            outcome = await _run_turn(runner, stored, turn.message, language)
            language = outcome.language or language
            replayed = replayed_view(outcome, calls.served)
            for _, how in calls.served:
                report.connector_calls[how] += 1
            with_person = await _record(sessions, stored.id, turn.message, outcome) == Mode.human
            async with sessions() as session:
                await decisions.asked(session, outcome.approvals)
        changed = changes(original, replayed)
        if changed:
            report.by_kind.update(changed)
            report.changed_turns += 1
            if len(report.changed) < MAX_SHOWN:
                report.changed.append(
                    ReplayedTurn(
                        stored.id,
                        turn.message.id or 0,
                        turn.message.text,
                        _utc(turn.message.created_at),
                        original,
                        replayed,
                        changed,
                    )
                )
    return decisions.threads


async def _run_turn(
    runner: TurnRunner, stored: StoredConversation, message: Message, language: str | None
) -> TurnOutcome:
    assert message.id is not None
    customer = stored.customer
    request = TurnRequest(
        conversation_id=stored.id,
        message_id=message.id,
        channel=stored.conversation.channel,
        text=message.text,
        **customer_fields(customer),
        language=language,
        locale=message.locale,
        at=_utc(message.created_at).timestamp(),
    )
    try:
        return await runner.run_turn(request)
    except Exception as exc:  # as the engine does: an error turn, and the replay goes on
        failure = Reply(text=f"(the turn failed: {type(exc).__name__}: {exc})", quick_replies=[])
        return TurnOutcome(replies=[failure], route="error", node_path=["error"])


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    conversation_id: int,
    message: Message,
    outcome: TurnOutcome,
) -> str:
    """The replayed turn's trace, as the engine writes it (the model's token budget and
    the agent's view of earlier turns read the traces); the conversation's mode after it."""
    assert message.id is not None
    async with sessions() as session, session.begin():
        await traces.add_trace(
            session,
            outcome.trace(conversation_id, message.id, created_at=_utc(message.created_at)),
        )
        return await conversations.record_turn(
            session, conversation_id, intent=outcome.intent, language=outcome.language
        )
