"""What the web chat API needs besides the engine: sessions and history.

Implemented by the composition root over storage, so this package stays storage-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class WebchatSessionInfo:
    session_id: str
    verified_user_id: str | None
    name: str | None
    customer_id: int | None = None
    """The verified customer's id (None for an anonymous visitor)."""


@dataclass(frozen=True)
class HistoryItem:
    id: int
    role: str
    text: str
    quick_replies: tuple[str, ...]
    created_at: datetime


class WebchatBackend(Protocol):
    async def create_session(
        self, *, session_id: str, token_hash: str, verified_user_id: str | None, name: str | None
    ) -> None: ...

    async def find_session(self, token_hash: str) -> WebchatSessionInfo | None: ...

    async def history(self, session_id: str, *, after_id: int) -> list[HistoryItem]: ...

    async def mode(self, session_id: str) -> str: ...

    async def conversation(self, session_id: str) -> tuple[int | None, str]:
        """The session's current conversation (None before its first message) and mode."""
        ...
