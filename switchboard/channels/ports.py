"""What a channel is and what it is started with: the seam between the channel table
and each channel (the table builds channels; channels only need these)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import ChannelAdapter
from graph.policy import Policy
from switchboard.desk.handoffs import HandoffDesk
from switchboard.desk.translations import StaffTranslator
from switchboard.engine.core import Engine


@dataclass(frozen=True)
class ChannelPorts:
    """What a channel is started with."""

    engine: Engine
    """Where messages go in (`submit`, `handle`); the desk decides approvals with it."""
    sessions: async_sessionmaker[AsyncSession]
    """The database: web chat sessions, Telegram account links, the staff desk."""
    policy: Policy
    """Its languages word the channels' own answers; its approvers guard the desk."""
    handoffs: HandoffDesk
    """Staff actions on handoffs, which Slack's staff desk shares with the console."""
    translator: StaffTranslator
    """Customer messages translated for staff (Slack's cards, as the console's)."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def adapter(self) -> ChannelAdapter:
        """What the engine delivers this channel's replies through."""
        ...

    @property
    def routers(self) -> Sequence[APIRouter]:
        """Its HTTP routes (webhooks), served from before it starts."""
        ...

    async def start(self, ports: ChannelPorts) -> None: ...

    async def stop(self) -> None:
        """Safe to call when `start` was not (a start-up that failed half-way)."""
        ...
