"""Prometheus metrics (served at /metrics). Labels are bounded sets (routes, intents from
the policy, node names, channels); never customer data."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

INBOUND = Counter("switchboard_inbound_messages_total", "Inbound messages accepted", ["channel"])
DUPLICATES = Counter(
    "switchboard_duplicate_messages_total", "Webhook retries and replays ignored", ["channel"]
)
THROTTLED = Counter(
    "switchboard_throttled_messages_total",
    "Messages from a sender over the rate limit: stored, not answered",
    ["channel"],
)
TURNS = Counter("switchboard_turns_total", "Turns processed", ["route", "intent"])
TURN_ERRORS = Counter("switchboard_turn_errors_total", "Turns that failed and fell back")
SHADOW_DROPPED = Counter(
    "switchboard_shadow_dropped_total",
    "Answered turns the shadow policy skipped: its queue was full",
)
SHADOW_FAILED = Counter(
    "switchboard_shadow_failed_total", "Shadow turns that failed (the live turn was not affected)"
)
TURN_SECONDS = Histogram(
    "switchboard_turn_seconds",
    "Time to run one turn through the graph",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
NODE_SECONDS = Histogram(
    "switchboard_node_seconds",
    "Time spent in each graph node",
    ["node"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
LLM_CALLS = Counter("switchboard_llm_calls_total", "LLM calls", ["purpose", "model", "outcome"])
LLM_TOKENS = Counter("switchboard_llm_tokens_total", "LLM tokens", ["model", "kind"])
LLM_COST = Counter("switchboard_llm_cost_usd_total", "LLM cost in US dollars", ["model"])
HANDOFFS = Counter("switchboard_handoffs_total", "Conversations handed to a person", ["route"])
DELIVERED = Counter("switchboard_replies_delivered_total", "Replies delivered", ["channel"])
DELIVERY_FAILURES = Counter(
    "switchboard_delivery_failures_total", "Replies that could not be delivered", ["channel"]
)
APPROVALS_WAITING = Gauge("switchboard_approvals_waiting", "Sensitive actions waiting for a person")
OUTBOX_BACKLOG = Gauge("switchboard_outbox_backlog", "Replies not yet delivered")
DEAD_LETTERS = Gauge("switchboard_dead_letters", "Replies that gave up after retries")
OPEN_HANDOFFS = Gauge("switchboard_open_handoffs", "Conversations waiting on staff")
WEBHOOKS_SENT = Counter(
    "switchboard_webhooks_sent_total", "Webhook events a receiver accepted", ["event"]
)
WEBHOOK_RETRIES = Counter(
    "switchboard_webhook_retries_total", "Webhook posts that failed and will be retried", ["event"]
)
WEBHOOK_FAILURES = Counter(
    "switchboard_webhook_failures_total",
    "Webhook events given up (the last attempt failed, or the receiver refused)",
    ["event"],
)


def record_turn(
    route: str, intent: str | None, node_ms: dict[str, float], llm_calls: list[dict[str, Any]]
) -> None:
    TURNS.labels(route, intent or "none").inc()
    for node, ms in node_ms.items():
        NODE_SECONDS.labels(node).observe(ms / 1000)
    for call in llm_calls:
        model = str(call.get("model", "?"))
        LLM_CALLS.labels(
            call.get("purpose", "?"), model, "error" if call.get("error") else "ok"
        ).inc()
        LLM_TOKENS.labels(model, "prompt").inc(call.get("prompt_tokens", 0))
        LLM_TOKENS.labels(model, "completion").inc(call.get("completion_tokens", 0))
        LLM_COST.labels(model).inc(call.get("cost_usd", 0.0))
