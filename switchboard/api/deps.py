"""Shared FastAPI dependencies: each route asks for the parts of the runtime it uses.

The app holds the runtime on `app.state` (set at start, `switchboard.app`); only this
module reads it there, and no route or helper takes the whole runtime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.policy import Policy
from storage.db import will_write
from switchboard.desk.console_live import ConsoleEvents
from switchboard.desk.handoffs import HandoffDesk
from switchboard.desk.translations import StaffTranslator
from switchboard.engine.core import Engine
from switchboard.runtime import Runtime
from switchboard.settings import Settings

Sessions = async_sessionmaker[AsyncSession]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _settings(request: Request) -> Settings:
    return _runtime(request).settings


def _policy(request: Request) -> Policy:
    return _runtime(request).policy


def _database(request: Request) -> AsyncEngine:
    return _runtime(request).db


def _sessions(request: Request) -> Sessions:
    return _runtime(request).sessions


def _engine(request: Request) -> Engine:
    return _runtime(request).engine


def _handoffs(request: Request) -> HandoffDesk:
    return _runtime(request).handoffs


def _console_events(request: Request) -> ConsoleEvents:
    return _runtime(request).console


def _translator(request: Request) -> StaffTranslator:
    return _runtime(request).translator


SettingsDep = Annotated[Settings, Depends(_settings)]
PolicyDep = Annotated[Policy, Depends(_policy)]
DatabaseDep = Annotated[AsyncEngine, Depends(_database)]
"""For reports and probes that read with a plain connection."""
SessionsDep = Annotated[Sessions, Depends(_sessions)]
"""For a route that opens its own, short sessions (or transactions)."""
EngineDep = Annotated[Engine, Depends(_engine)]
HandoffsDep = Annotated[HandoffDesk, Depends(_handoffs)]
ConsoleEventsDep = Annotated[ConsoleEvents, Depends(_console_events)]
TranslatorDep = Annotated[StaffTranslator, Depends(_translator)]


async def _session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


async def _write_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """For a route that writes (and commits itself): its transaction is declared a
    writing one before the first read, so SQLite begins it IMMEDIATE."""
    async with sessions() as session:
        await will_write(session)
        yield session


WriteSessionDep = Annotated[AsyncSession, Depends(_write_session)]
