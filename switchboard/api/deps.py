"""Shared FastAPI dependencies: the runtime and database sessions (who calls: `actors`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import will_write
from switchboard.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep):  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_write_session(runtime: RuntimeDep):  # type: ignore[no-untyped-def]
    """For a route that writes (and commits itself): its transaction is declared a
    writing one before the first read, so SQLite begins it IMMEDIATE."""
    async with runtime.sessions() as session:
        await will_write(session)
        yield session


WriteSessionDep = Annotated[AsyncSession, Depends(get_write_session)]
