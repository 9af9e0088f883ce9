"""Building the running system from settings: database, policy, classifier, graph, engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import tools.catalog  # noqa: F401  (registers the built-in tools)
from bots.base import ChannelAdapter
from graph.intents import IntentClassifier
from graph.llm import LLMSettings, build_chat_model
from graph.policy import Policy, PolicyError, load_policy
from graph.runner import TurnRunner
from storage.checkpoints import SqlCheckpointSaver
from storage.db import create_engine, session_factory
from storage.webhooks import webhook_info
from switchboard.desk.console_live import ConsoleEvents
from switchboard.desk.handoffs import HandoffDesk, staff_reachable
from switchboard.desk.translations import StaffTranslator
from switchboard.engine.classifier_cache import acts_for, load_classifier, warm_up
from switchboard.engine.cluster import conversation_locks
from switchboard.engine.core import Engine
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.engine.event_webhooks import WebhookSender, subscriptions
from switchboard.guards import RateLimiter
from switchboard.settings import ConfigError, Settings
from switchboard.telemetry import turn_spans
from tools.connectors import Connections, open_connectors

if TYPE_CHECKING:
    from switchboard.replay.shadow import Shadow

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    classifier: IntentClassifier
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    handoffs: HandoffDesk
    """Staff actions on handoffs, shared by Slack, the console and the admin API."""
    console: ConsoleEvents
    """Live updates for open console pages."""
    connections: Connections
    """The company's systems the policy connects (tools/connectors/)."""
    translator: StaffTranslator
    """Customer messages in the policy's language for staff: Slack cards, the console."""
    shadow: Shadow | None = None
    """The shadow policy beside the live one (`SWITCHBOARD_SHADOW_POLICY`), else None."""


def _llm_settings(settings: Settings) -> LLMSettings | None:
    if not settings.llm_model:
        return None
    key = settings.openai_api_key
    return LLMSettings(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key.get_secret_value() if key else None,
        timeout_s=settings.llm_timeout_s,
    )


def _chat_model(settings: Settings) -> Any:
    llm = _llm_settings(settings)
    return build_chat_model(llm) if llm is not None else None


#: Without a model a turn takes milliseconds; this only covers a busy database.
TURN_WAIT_WITHOUT_MODEL_S = 30.0
#: Model calls a turn with a model usually makes: the classification and one answer.
MODEL_CALLS_A_TURN = 2
TURN_WAIT_MARGIN_S = 5.0
#: Longer, and proxies and browsers give up on the request first; the turn goes on anyway.
MAX_TURN_WAIT_S = 120.0


def turn_wait_s(settings: Settings) -> float:
    """How long a request waits for its turn before it is answered "still processing":
    `SWITCHBOARD_TURN_WAIT_S`, else what the usual model calls of a turn may take with
    their retries (each bounded by the model timeout), within 30-120 s."""
    if settings.turn_wait_s is not None:
        return settings.turn_wait_s
    llm = _llm_settings(settings)
    if llm is None:
        return TURN_WAIT_WITHOUT_MODEL_S
    calls = llm.timeout_s * (llm.max_retries + 1) * MODEL_CALLS_A_TURN
    return min(max(calls + TURN_WAIT_MARGIN_S, TURN_WAIT_WITHOUT_MODEL_S), MAX_TURN_WAIT_S)


@asynccontextmanager
async def _shadow(
    settings: Settings,
    db: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Shadow | None]:
    if settings.shadow_policy_path is None:
        yield None
        return
    # Here, not at the top: the shadow uses the replay's sandbox, which imports this module.
    from switchboard.replay.shadow import open_shadow

    try:
        policy = load_policy(settings.shadow_policy_path)
    except PolicyError as exc:
        line = " ".join(str(exc).split())  # YAML errors span lines
        raise ConfigError(f"config error: SWITCHBOARD_SHADOW_POLICY: {line}") from None
    async with open_shadow(settings, db, sessions, policy) as shadow:
        log.info("shadow.on", policy=str(settings.shadow_policy_path), version=policy.version)
        yield shadow


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    db: AsyncEngine | None = None,
    adapters: Mapping[str, ChannelAdapter] | None = None,
    delivery: DeliveryPolicy | None = None,
) -> AsyncIterator[Runtime]:
    """The engine delivers through `adapters` (by channel name; the channel table's, see
    `switchboard.channels.table.run_channels`); a reply for a channel without one fails."""
    policy = load_policy(settings.policy_path)
    db = db or create_engine(settings.database_url)
    # The configured webhooks ride on every session, so a change queues its events in
    # its own transaction; each commit that queued some wakes the sender.
    webhooks_queued = asyncio.Event()
    sessions = session_factory(
        db,
        info=webhook_info(subscriptions(policy.webhooks, webhooks_queued))
        if policy.webhooks
        else None,
    )
    try:
        classifier = await load_classifier(policy, settings.cache_dir, sessions)
        acts = await asyncio.to_thread(acts_for, policy, settings.cache_dir)
        await asyncio.to_thread(warm_up, classifier, policy.languages)
    except BaseException:
        await db.dispose()
        raise
    spans = turn_spans(settings)
    try:
        async with (
            open_connectors(policy.connectors, policy.providers, policy.directory) as connections,
            _shadow(settings, db, sessions) as shadow,
        ):
            runner = TurnRunner(
                saver=SqlCheckpointSaver(sessions),
                policy=policy,
                classifier=classifier,
                acts=acts,
                sessions=sessions,
                max_chars=settings.max_message_chars,
                chat_model=_chat_model(settings),
                model_name=settings.llm_model or "",
                daily_token_budget=settings.llm_daily_token_budget,
                staff_reachable=staff_reachable(settings, sessions),
                public_url=settings.public_url,
                catalog=connections.catalog,
            )
            engine = Engine(
                sessions=sessions,
                runner=runner,
                adapters=adapters or {},
                delivery=delivery,
                locks=conversation_locks(db),
                spans=spans,
                sender_limits=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
            )
            console = ConsoleEvents()
            engine.on_conversation_changed(console.publish)
            if shadow is not None:
                engine.on_turn_answered(shadow.offer)
                shadow.give_way_to(engine.idle)
            await engine.start()
            sender = (
                WebhookSender(sessions, policy.webhooks, webhooks_queued)
                if policy.webhooks
                else None
            )
            try:
                if sender is not None:
                    await sender.start()
                handoffs = HandoffDesk(sessions, engine, policy)
                yield Runtime(
                    settings,
                    policy,
                    classifier,
                    db,
                    sessions,
                    engine,
                    handoffs,
                    console,
                    connections,
                    StaffTranslator.from_settings(settings, sessions, policy.language),
                    shadow,
                )
            finally:
                console.close()
                await engine.stop()
                if sender is not None:  # after the engine: its last turns' events go now
                    await sender.stop()
    finally:
        if spans is not None:  # flushing blocks on the network: not on the event loop
            await asyncio.to_thread(spans.shutdown)
        await db.dispose()
