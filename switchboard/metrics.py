"""Prometheus metrics (served at /metrics)."""

from prometheus_client import Counter, Histogram

INBOUND = Counter("switchboard_inbound_messages_total", "Inbound messages accepted", ["channel"])
DUPLICATES = Counter(
    "switchboard_duplicate_messages_total", "Webhook retries and replays ignored", ["channel"]
)
TURNS = Counter("switchboard_turns_total", "Turns processed", ["route"])
TURN_ERRORS = Counter("switchboard_turn_errors_total", "Turns that failed and fell back")
TURN_SECONDS = Histogram(
    "switchboard_turn_seconds",
    "Time to run one turn through the graph",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELIVERED = Counter("switchboard_replies_delivered_total", "Replies delivered", ["channel"])
DELIVERY_FAILURES = Counter(
    "switchboard_delivery_failures_total", "Replies that could not be delivered", ["channel"]
)
