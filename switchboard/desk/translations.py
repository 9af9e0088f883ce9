"""Staff read a customer's message in the policy's default language too.

With a model configured, a customer message written in another language gets one model
call that translates it; the translation is stored (storage/translations.py), so a card
re-rendered or a console page reloaded never asks again, and a failure is stored too:
staff then see the original only. The original is always shown beside it; what the
customer wrote and what staff reply are sent as they were written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from langchain_core.messages import HumanMessage, SystemMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.language import language_name
from graph.llm import LLMSettings, build_chat_model
from storage.db import transaction
from storage.translations import save_translation, stored_translations
from switchboard.settings import Settings

log = structlog.get_logger(__name__)

TRANSLATE_SYSTEM = (
    "Translate the customer's message from {source} into {target} for a support agent. "
    "Reply with the translation only, nothing else; keep names, numbers and order ids."
)
TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Original:
    """A customer message as stored: its id, text and the language recorded for it."""

    message_id: int
    text: str
    language: str | None


class StaffTranslator:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], chat_model: Any, language: str
    ) -> None:
        self._sessions = sessions
        self._chat = chat_model
        self.language = language  # the policy's default: what staff read

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession], language: str
    ) -> StaffTranslator:
        chat = None
        if settings.llm_model:
            key = settings.openai_api_key
            chat = build_chat_model(
                LLMSettings(
                    model=settings.llm_model,
                    base_url=settings.llm_base_url,
                    api_key=key.get_secret_value() if key else None,
                    timeout_s=settings.llm_timeout_s,
                )
            )
        return cls(sessions, chat, language)

    def wanted(self, message: Original) -> bool:
        """Whether staff need a translation of `message` (a model, another language)."""
        return (
            self._chat is not None
            and bool(message.text.strip())
            and message.language is not None
            and message.language != self.language
        )

    async def translations(self, messages: Sequence[Original]) -> dict[int, str]:
        """Per message that needs one, its translation (stored ones read, others made)."""
        wanted = [m for m in messages if self.wanted(m)]
        if not wanted:
            return {}
        async with self._sessions() as session:
            known = await stored_translations(
                session, [m.message_id for m in wanted], self.language
            )
        for message in wanted:
            if message.message_id not in known:
                known[message.message_id] = await self._translate(message)
        return {i: text for i, text in known.items() if text}

    async def translation(self, message: Original) -> str | None:
        return (await self.translations([message])).get(message.message_id)

    async def _translate(self, message: Original) -> str | None:
        system = TRANSLATE_SYSTEM.format(
            source=language_name(message.language or ""), target=language_name(self.language)
        )
        text: str | None
        try:
            answer = await asyncio.wait_for(
                self._chat.ainvoke([SystemMessage(system), HumanMessage(message.text)]),
                TIMEOUT_S,
            )
            text = str(answer.content).strip() or None
        except Exception as exc:  # any model failure: the original alone is shown
            log.warning("staff.translation_failed", message_id=message.message_id, error=str(exc))
            text = None
        async with transaction(self._sessions) as session:
            await save_translation(session, message.message_id, self.language, text)
        return text
