"""Fixtures for the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory
from tests.support.databases import DatabaseFactory


@pytest.fixture
async def sessions(
    sqlite_databases: DatabaseFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh SQLite database."""
    engine = create_engine(sqlite_databases.fresh())
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
