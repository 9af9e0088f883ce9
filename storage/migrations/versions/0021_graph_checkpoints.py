"""graph checkpoints: one row per thread, written in the turn's transaction

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 21:00:00

LangGraph's own savers kept every checkpoint in their own tables (`checkpoints`,
`writes` on SQLite; `checkpoints`, `checkpoint_blobs`, `checkpoint_writes` on
PostgreSQL), outside the turn's transaction, pruned and vacuumed beside the turns.
Switchboard's saver keeps the newest checkpoint of each thread in `graph_checkpoints`.
The newest checkpoint of every live thread (a conversation in the middle of a workflow,
an approval waiting for staff) is carried over, read with LangGraph's saver for that
database, and the old tables are dropped.
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from langgraph.checkpoint.base import WRITES_IDX_MAP, CheckpointTuple
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD_TABLES = {
    "sqlite": ("writes", "checkpoints"),
    "postgresql": ("checkpoint_writes", "checkpoint_blobs", "checkpoints", "checkpoint_migrations"),
}


def upgrade() -> None:
    table = op.create_table(
        "graph_checkpoints",
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("checkpoint_ns", sa.String(length=255), nullable=False),
        sa.Column("checkpoint_id", sa.String(length=64), nullable=False),
        sa.Column("parent_checkpoint_id", sa.String(length=64), nullable=True),
        sa.Column("state_type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("writes_type", sa.String(length=32), nullable=True),
        sa.Column("writes", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "checkpoint_ns"),
    )
    bind = op.get_bind()
    dialect = bind.dialect.name
    if not sa.inspect(bind).has_table("checkpoints"):
        return  # a new database: LangGraph's tables were never made
    rows = [_row(found) for found in _newest_checkpoints(bind, dialect)]
    if rows:
        op.bulk_insert(table, rows)
    present = set(sa.inspect(bind).get_table_names())
    for name in OLD_TABLES.get(dialect, ()):
        if name in present:
            op.drop_table(name)


def downgrade() -> None:
    # LangGraph's savers make their tables again at start; a waiting approval starts
    # again from its approval row, a conversation's workflow from its next message.
    op.drop_table("graph_checkpoints")


def _newest_checkpoints(bind: Any, dialect: str) -> list[CheckpointTuple]:
    threads = bind.execute(
        sa.text("SELECT DISTINCT thread_id, checkpoint_ns FROM checkpoints")
    ).all()
    raw = bind.connection.dbapi_connection
    if dialect == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        saver: Any = SqliteSaver(raw)
        saver.is_setup = True  # its tables exist; set-up would commit alembic's transaction
    else:
        from langgraph.checkpoint.postgres import PostgresSaver

        saver = PostgresSaver(raw)
    found = []
    for thread_id, namespace in threads:
        config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace}}
        newest = saver.get_tuple(config)
        if newest is not None:
            found.append(newest)
    return found


def _row(found: CheckpointTuple) -> dict[str, Any]:
    serde = JsonPlusSerializer()  # what storage/checkpoints.py's saver reads with
    configurable = found.config["configurable"]
    parent = (found.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    state_type, state = serde.dumps_typed((found.checkpoint, found.metadata))
    writes = [
        (task, WRITES_IDX_MAP.get(channel, n), channel, value, "")
        for n, (task, channel, value) in enumerate(found.pending_writes or [])
    ]
    writes_type, writes_data = serde.dumps_typed(writes) if writes else (None, None)
    return {
        "thread_id": configurable["thread_id"],
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable["checkpoint_id"],
        "parent_checkpoint_id": parent,
        "state_type": state_type,
        "state": state,
        "writes_type": writes_type,
        "writes": writes_data,
        "updated_at": datetime.now(UTC),
    }

