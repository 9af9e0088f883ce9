"""The tools as the model sees them: OpenAI function schemas built from our registry.

The model supplies only the tool's own arguments; the customer, conversation and message
come from the engine (`Caller`), so no argument can point a tool at another account.
Sensitive tools are not run: the call becomes an approval request.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from datetime import datetime
from functools import cache
from typing import Any, get_type_hints

from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ValidationError, create_model

from graph.context import TurnContext
from tools.base import REGISTRY, ToolError, ToolSpec

RESULT_CHARS = 3000
INJECTED = {"session", "caller"}


def model_name(tool_name: str) -> str:
    """OpenAI function names allow no dots: `payments.refund` → `payments__refund`."""
    return tool_name.replace(".", "__")


@cache
def arguments_model(spec: ToolSpec) -> type[BaseModel]:
    hints = get_type_hints(spec.func)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(spec.func).parameters.items():
        if name in INJECTED:
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (hints.get(name, Any), default)
    return create_model(model_name(spec.name), **fields)


def tool_schemas(allowed: list[str]) -> list[dict[str, Any]]:
    return _schemas(tuple(allowed))


@cache
def _schemas(allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    """Built once per tool set: pydantic models and OpenAI schemas cost milliseconds."""
    schemas = []
    for name in allowed:
        spec = REGISTRY.get(name)
        if spec is None:
            continue
        schema = convert_to_openai_tool(arguments_model(spec))
        schema["function"]["name"] = model_name(name)
        schema["function"]["description"] = spec.description + (
            " Requires staff approval." if spec.risk == "sensitive" else ""
        )
        schemas.append(schema)
    return schemas


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
    if tool_name is None or tool_name not in REGISTRY:
        return f"error: there is no tool called {name}"
    spec = REGISTRY[tool_name]
    try:
        checked = arguments_model(spec).model_validate(arguments).model_dump()
    except ValidationError as exc:
        return f"error: invalid arguments for {name}: {exc.errors()[0]['msg']}"
    try:
        if spec.risk == "sensitive":
            approval_id = await context.tools.call(
                "approvals.request",
                tool_name=tool_name,
                arguments=checked,
                summary=f"{tool_name} {json.dumps(checked)} (requested by the assistant)",
            )
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
        return f"error: {exc}"
    context.tool_outputs.append(as_text(result))
    return as_text(result)
