"""Reading what a model wrote when its server did not put it where the API says.

Small local models (and servers without a tool-call parser for them) often answer a
structured request with JSON in the message text, fenced (```json … ```), wrapped in their
chat template's tags (<tool_call>…</tool_call>) or bare among prose. These functions find
that JSON so a turn can still use it; anything else is left alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.messages import AIMessage, ToolCall

_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"```(?:json|tool_call|tool)?\s*(.*?)```", re.S | re.I)
_TAG = re.compile(r"<(tool_call|function_call|functioncall)>\s*(.*?)\s*</\1>", re.S | re.I)


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in `text`, fenced and tagged ones first, in order."""
    found: list[dict[str, Any]] = []
    chunks = [m.group(1) for m in _FENCE.finditer(text)] + [m.group(2) for m in _TAG.finditer(text)]
    for chunk in chunks or [text]:
        found.extend(_objects_in(chunk))
    return found


def _objects_in(text: str) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            objects.append(value)
        position = text.find("{", end)
    return objects


def structured_from_content(text: str, schema_name: str) -> dict[str, Any] | None:
    """The arguments of a structured answer written as text: either the object itself or a
    tool call of `schema_name` ({"name": ..., "arguments": {...}})."""
    for found in json_objects(text):
        if "name" in found and ("arguments" in found or "parameters" in found):
            arguments = _call_arguments(found)
            if found["name"] == schema_name and arguments is not None:
                return arguments
            continue
        return found
    return None


def _call_arguments(found: dict[str, Any]) -> dict[str, Any] | None:
    arguments = found.get("arguments", found.get("parameters"))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    return arguments if isinstance(arguments, dict) and "name" in found else None


_NAMED_TAG = re.compile(r"<(?P<name>[\w.]+)>\s*(?P<body>\{.*?\})?\s*</(?P=name)>", re.S)


def _calls_in_tool_tags(text: str, tool_names: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """`<orders__recent>{"limit": 3}</orders__recent>`: a call written as a tag named after
    the tool (some small models do, inside `<tools>`)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for match in _NAMED_TAG.finditer(text):
        name = match.group("name").replace(".", "__")
        if name not in tool_names:
            continue
        objects = _objects_in(match.group("body") or "{}")
        found.append((name, objects[0] if objects else {}))
    return found


def tool_calls_in_content(message: AIMessage, tool_names: set[str]) -> AIMessage:
    """The message with tool calls it wrote as text made real tool calls: only calls of
    tools it was offered (`orders__recent`, also written as `orders.recent`)."""
    if message.tool_calls or message.invalid_tool_calls or not isinstance(message.content, str):
        return message
    calls: list[ToolCall] = []
    for found in json_objects(message.content):
        name = str(found.get("name", "")).replace(".", "__")
        arguments = _call_arguments(found)
        if name in tool_names and arguments is not None:
            calls.append(ToolCall(name=name, args=arguments, id=f"call_text_{len(calls)}"))
    for name, arguments in _calls_in_tool_tags(message.content, tool_names):
        calls.append(ToolCall(name=name, args=arguments, id=f"call_text_{len(calls)}"))
    if not calls:
        return message
    return AIMessage(
        content="",
        tool_calls=calls,
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
        id=message.id,
    )
