"""The agent's tool calls as JSON answers, for servers whose models make no tool calls.

A small local model behind llama-server ignores the tool-call format (it writes
`<tools></tools>` or prose) but fills a JSON schema the server enforces. On such a server
each agent step asks for one `AgentAction` instead: call a tool, or answer. The history
goes as plain text (a call as its JSON, a result as "Result of ..."), and the action comes
back as an ordinary AIMessage with tool calls, so the agent's loop, guards and tools stay
the same whichever way the model was asked.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from pydantic import BaseModel, Field, create_model

ACTIONS_SYSTEM = """Each answer is one JSON object: either call one tool to look something
up, {{"action": "call_tool", "tool": "<name>", "arguments": {{...}}}}, or reply to the
customer, {{"action": "answer", "answer": "<the reply>"}}. Call a tool before you state any
fact about the customer's account. The tools:
{tools}"""


class AgentAction(BaseModel):
    """The agent's next step: call one tool, or answer the customer."""

    action: Literal["call_tool", "answer"]
    tool: str | None = Field(default=None, description="the tool to call (call_tool)")
    arguments: dict[str, Any] = Field(default_factory=dict)
    answer: str | None = Field(default=None, description="the reply to the customer (answer)")


@cache
def action_schema(tool_names: tuple[str, ...], *, first: bool) -> type[AgentAction]:
    """`AgentAction` with the tool named from this set only (a server that enforces the
    schema then cannot let the model invent a tool); the first step of a turn must call
    one, since an answer about the account that rests on no tool result is refused anyway."""
    tool_type: Any = Literal[tool_names]  # type: ignore[valid-type]
    if first:
        return create_model(  # type: ignore[no-any-return,call-overload]
            "AgentAction",
            __base__=AgentAction,
            action=(Literal["call_tool"], ...),
            tool=(tool_type, ...),
        )
    return create_model(  # type: ignore[no-any-return,call-overload]
        "AgentAction", __base__=AgentAction, tool=(tool_type | None, None)
    )


def _tools_text(tools: list[dict[str, Any]]) -> str:
    lines = []
    for tool in tools:
        function = tool.get("function", tool)
        properties = function.get("parameters", {}).get("properties", {})
        arguments = ", ".join(
            f"{name} ({spec.get('type', 'any')})" for name, spec in properties.items()
        )
        lines.append(
            f"- {function['name']}: {function.get('description', '')} "
            f"Arguments: {arguments or 'none'}."
        )
    return "\n".join(lines)


def action_messages(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> list[BaseMessage]:
    """The conversation as plain text, with the tools and the answer format after the
    system prompt."""
    names: dict[str, str] = {}
    plain: list[BaseMessage] = []
    for message in messages:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                names[call["id"] or ""] = call["name"]
                asked = {"action": "call_tool", "tool": call["name"], "arguments": call["args"]}
                plain.append(AIMessage(json.dumps(asked)))
        elif isinstance(message, ToolMessage):
            tool = names.get(message.tool_call_id, "the tool")
            plain.append(HumanMessage(f"Result of {tool}: {message.content}"))
        else:
            plain.append(message)
    rules = SystemMessage(ACTIONS_SYSTEM.format(tools=_tools_text(tools)))
    return [*plain[:1], rules, *plain[1:]]


def as_message(action: AgentAction, tool_names: set[str], step: int) -> AIMessage:
    """The action as the agent's loop reads a model's answer."""
    tool = (action.tool or "").replace(".", "__")
    if action.action == "call_tool" and tool in tool_names:
        return AIMessage(
            content="", tool_calls=[ToolCall(name=tool, args=action.arguments, id=f"json_{step}")]
        )
    return AIMessage(content=action.answer or "")
