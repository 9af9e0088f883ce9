"""PostgreSQL connections prepare no statements on the server: psycopg's bookkeeping for
them cost more client CPU than planning our short queries saves, and PgBouncer in
transaction mode cannot carry prepared statements from one transaction to the next."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import create_engine
from tests.support.databases import DatabaseFactory


async def test_a_query_run_many_times_is_never_prepared(
    postgres_databases: DatabaseFactory,
) -> None:
    engine = create_engine(postgres_databases.fresh())
    try:
        async with engine.connect() as connection:
            for _ in range(10):  # psycopg prepares after 5 runs by default
                await connection.execute(text("SELECT count(*) FROM customers"))
            prepared = await connection.execute(text("SELECT count(*) FROM pg_prepared_statements"))
            assert prepared.scalar() == 0
    finally:
        await engine.dispose()
