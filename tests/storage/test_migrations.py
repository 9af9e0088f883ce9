"""Migrations build the schema from empty and tear it down again, on both databases."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, inspect, text

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


def test_external_ids_column_keeps_existing_customers_up_and_down(
    databases: DatabaseFactory,
) -> None:
    url = databases.empty()
    upgrade(url, "0016")
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customers (user_id, email, name, vip, created_at)"
                    " VALUES ('cus_old', 'old@example.com', 'Old', false, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO identities (channel, channel_user_id, customer_id, created_at)"
                    " SELECT 'telegram', '42', id, CURRENT_TIMESTAMP FROM customers"
                )
            )
        upgrade(url)
        with engine.begin() as conn:
            ids = conn.execute(text("SELECT external_ids FROM customers")).scalar_one()
            assert (json.loads(ids) if isinstance(ids, str) else ids) == {}
            conn.execute(text("""UPDATE customers SET external_ids = '{"isp": "ISP-1"}'"""))
        downgrade(url, "0016")
        assert "external_ids" not in {c["name"] for c in inspect(engine).get_columns("customers")}
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT user_id, email FROM customers")).all()
            assert [tuple(r) for r in rows] == [("cus_old", "old@example.com")]
            assert conn.execute(text("SELECT count(*) FROM identities")).scalar_one() == 1
        upgrade(url)
    finally:
        engine.dispose()
