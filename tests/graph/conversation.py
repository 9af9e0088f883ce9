"""A customer talking to the real engine in-process, and what each turn left behind:
the replies, and the workflow stack as the turn's trace recorded it."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.base import InboundMessage
from storage import traces
from switchboard.runtime import Runtime

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "switchboard" / "default_policy.yaml"
RATING_QUESTION = "how would you rate this conversation"
_ids = itertools.count(1)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Turn:
    text: str
    replies: list[dict[str, Any]]
    dialogue: dict[str, Any]
    route: str | None

    @property
    def said(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [q for r in self.replies for q in r.get("quick_replies") or []]


@dataclass
class Customer:
    runtime: Runtime
    user_id: str | None = "cus_maria"
    channel: str = "webchat"
    chat_id: str = field(default_factory=lambda: f"chat-{uuid.uuid4().hex[:8]}")
    turns: list[Turn] = field(default_factory=list)
    conversation_id: int | None = None
    locale: str | None = None
    """The language the channel reports for the customer (a browser's, a Telegram app's)."""

    async def say(self, text: str) -> Turn:
        message = InboundMessage(
            channel=self.channel,
            channel_user_id=self.user_id or self.chat_id,
            channel_chat_id=self.chat_id,
            channel_message_id=f"m{next(_ids)}-{uuid.uuid4().hex[:6]}",
            text=text,
            verified_user_id=self.user_id,
            locale=self.locale,
        )
        result = await self.runtime.engine.handle(message)
        self.conversation_id = result.conversation_id
        async with self.runtime.sessions() as session:
            trace = await traces.trace_for_message(session, result.message_id)
        dialogue = dict((trace.entities.get("dialogue") or {}) if trace else {})
        replies = [{"text": r.text, "quick_replies": list(r.quick_replies)} for r in result.replies]
        turn = Turn(text, replies, dialogue, result.route)
        self.turns.append(turn)
        return turn
