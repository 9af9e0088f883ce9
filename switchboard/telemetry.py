"""Optional OpenTelemetry traces: one span per turn, a child span per graph node.

On only when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over HTTP). The spans carry ids,
intent, route and token counts: never message text or customer data.
"""

from __future__ import annotations

import time
from typing import Any

from switchboard.settings import ConfigError, Settings


class TurnSpans:
    """Turns and their nodes as spans, exported in the background (batch processor)."""

    def __init__(self, endpoint: str) -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise ConfigError(
                "config error: OTEL_EXPORTER_OTLP_ENDPOINT: needs the otel extra "
                "(pip install 'switchboard[otel]')"
            ) from None
        self._provider = TracerProvider(resource=Resource.create({"service.name": "switchboard"}))
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("switchboard")

    def record(self, *, conversation_id: int, message_id: int, outcome: Any, ended_ns: int) -> None:
        total_ns = int(outcome.total_ms * 1_000_000)
        start = ended_ns - total_ns
        span = self._tracer.start_span(
            "turn",
            start_time=start,
            attributes={
                "switchboard.conversation_id": conversation_id,
                "switchboard.message_id": message_id,
                "switchboard.intent": outcome.intent or "",
                "switchboard.route": outcome.route or "",
                "switchboard.tokens": outcome.tokens,
                "switchboard.llm_calls": len(outcome.llm_calls),
                "switchboard.tools": ",".join(outcome.tools),
            },
        )
        from opentelemetry import trace

        context = trace.set_span_in_context(span)
        cursor = start
        for node in outcome.node_path:
            duration = int(outcome.node_ms.get(node, 0.0) * 1_000_000)
            child = self._tracer.start_span(f"node {node}", context=context, start_time=cursor)
            child.end(end_time=cursor + duration)
            cursor += duration
        span.end(end_time=ended_ns)

    def shutdown(self) -> None:
        self._provider.shutdown()  # flushes what is still queued


def turn_spans(settings: Settings) -> TurnSpans | None:
    return TurnSpans(settings.otel_endpoint) if settings.otel_endpoint else None


def now_ns() -> int:
    return time.time_ns()
