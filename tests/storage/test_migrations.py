"""Migrations build the schema from empty and tear it down again, on both databases."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from storage.db import sync_url
from storage.migrate import downgrade, upgrade
from tests.support.databases import DatabaseFactory

TABLES = {
    "customers",
    "identities",
    "webchat_sessions",
    "conversations",
    "messages",
    "tickets",
    "staff_notifications",
    "handoffs",
    "traces",
    "orders",
    "charges",
    "kb_articles",
    "intent_corrections",
    "webhook_deliveries",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(databases: DatabaseFactory) -> None:
    url = databases.empty()
    upgrade(url)
    assert _tables(url) >= TABLES
    downgrade(url, "base")
    assert not (TABLES & _tables(url))
    upgrade(url)  # and up again: downgrades leave nothing behind that blocks it
    assert _tables(url) >= TABLES
