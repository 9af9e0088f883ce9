"""shadow decisions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:20:00

With `SWITCHBOARD_SHADOW_POLICY` set, a second policy decides every answered turn again
in a sandbox; what it decided (intent, route, path, tools) and whether it agrees with the
live turn is kept here, one row per live turn, for the analytics page.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shadow_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=16), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("route", sa.String(length=64), nullable=True),
        sa.Column("node_path", sa.JSON(), nullable=False),
        sa.Column("tools", sa.JSON(), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_shadow_decisions_conversation_id", "shadow_decisions", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_shadow_decisions_conversation_id", table_name="shadow_decisions")
    op.drop_table("shadow_decisions")
