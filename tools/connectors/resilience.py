"""What every connector call passes through: the circuit breaker and the metrics.

A system that keeps failing is not called for a while (its tools fail at once with an
honest "unavailable"), so a dead CRM cannot hold every turn for its timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import monotonic, perf_counter
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

from tools.base import ToolError
from tools.connectors.config import Breaker

CALLS = Counter(
    "switchboard_connector_calls_total",
    "Calls to the company's systems, by connector, tool and outcome",
    ["connector", "tool", "outcome"],
)
LATENCY = Histogram(
    "switchboard_connector_call_seconds",
    "Time of one connector call, retries included",
    ["connector"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BREAKER_OPEN = Gauge(
    "switchboard_connector_breaker_open",
    "1 while the connector's circuit breaker stops calls to it",
    ["connector"],
)

T = TypeVar("T")


class Unavailable(ToolError):
    """The system could not be reached or failed; nothing can be said about the result."""

    status = "unavailable"


class Rejected(ToolError):
    """The system answered, refusing the request (a 4xx): it is up, the request was wrong."""

    status = "rejected"


class CircuitBreaker:
    def __init__(self, connector: str, config: Breaker) -> None:
        self.connector = connector
        self.config = config
        self.failures = 0
        self.open_until = 0.0
        BREAKER_OPEN.labels(connector).set(0)

    @property
    def is_open(self) -> bool:
        return monotonic() < self.open_until

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0
        BREAKER_OPEN.labels(self.connector).set(0)

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.config.failures:
            # Open (again: a failed trial after the cool-down opens it for another one).
            self.open_until = monotonic() + self.config.cooldown_s
            BREAKER_OPEN.labels(self.connector).set(1)

    async def call(self, tool: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run `attempt` unless the breaker is open. `Unavailable` counts as a failure of
        the system, `Rejected` and success as it being up."""
        if self.is_open:
            CALLS.labels(self.connector, tool, "breaker_open").inc()
            raise Unavailable(f"{self.connector} is unavailable right now")
        started = perf_counter()
        try:
            result = await attempt()
        except Unavailable:
            self.failed()
            CALLS.labels(self.connector, tool, "error").inc()
            raise
        except ToolError:
            self.succeeded()
            CALLS.labels(self.connector, tool, "rejected").inc()
            raise
        finally:
            LATENCY.labels(self.connector).observe(perf_counter() - started)
        self.succeeded()
        CALLS.labels(self.connector, tool, "ok").inc()
        return result
