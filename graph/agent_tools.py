"""The tools as the model sees them: OpenAI function schemas built from our registry.

The model supplies only the tool's own arguments; the customer, conversation and message
come from the engine (`Caller`), so no argument can point a tool at another account.
Sensitive tools are not run: the call becomes an approval request.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from functools import cache
from typing import Any

from graph.context import TurnContext
from tools.arguments import InvalidArguments, arguments_schema, check_arguments, model_name
from tools.base import ToolError, ToolSpec

RESULT_CHARS = 3000


def tool_schemas(context: TurnContext, allowed: list[str]) -> list[dict[str, Any]]:
    """The OpenAI function schemas of the allowed tools this deployment has."""
    specs = [spec for name in allowed if (spec := context.tools.spec(name)) is not None]
    return _schemas(tuple(specs))


@cache
def _schemas(specs: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """Built once per tool set: pydantic models and schemas cost milliseconds."""
    return [
        {
            "type": "function",
            "function": {
                "name": model_name(spec.name),
                "description": spec.description
                + (" Requires staff approval." if spec.risk == "sensitive" else ""),
                "parameters": arguments_schema(spec),
            },
        }
        for spec in specs
    ]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value


def as_text(value: Any) -> str:
    return json.dumps(_plain(value), default=str, ensure_ascii=False)[:RESULT_CHARS]


async def run_tool_call(
    context: TurnContext, allowed: list[str], name: str, arguments: dict[str, Any]
) -> str:
    """Run one model tool call and describe the result (or the error) for the model."""
    by_model_name = {model_name(n): n for n in allowed}
    tool_name = by_model_name.get(name)
    spec = context.tools.spec(tool_name) if tool_name else None
    if tool_name is None or spec is None:
        return f"error: there is no tool called {name}"
    try:
        checked = check_arguments(spec, arguments)
    except InvalidArguments as exc:
        return f"error: invalid arguments for {name}: {exc}"
    try:
        if spec.risk == "sensitive":
            summary = f"{tool_name} {json.dumps(checked)} (requested by the assistant)"
            approval_id = await context.tools.request_approval(tool_name, checked, summary)
            context.trace.approvals.append(approval_id)
            # What the answer may cite: that this action now waits for a person.
            waiting = {"approval": "requested", "action": tool_name.rpartition(".")[2]}
            context.tool_outputs.append(as_text(waiting))
            return (
                "approval requested: a staff member must approve this before it happens. "
                "Tell the customer it is waiting for approval; do not promise the outcome."
            )
        result = await context.tools.call(tool_name, **checked)
    except ToolError as exc:
        if exc.status == "unavailable":
            return (
                f"error: {exc}. This system is unavailable right now: tell the customer "
                "honestly that you cannot check or change this at the moment, and offer a "
                "ticket or a person; do not guess the result."
            )
        return f"error: {exc}"
    context.tool_outputs.append(as_text(result))
    return as_text(result)
