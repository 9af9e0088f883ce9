"""kb articles carry their language

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 23:05:00

Each help-centre article records the language it is written in (front matter `lang:` or
detected at import), so search can prefer the customer's language and say when it answers
from another. Articles imported before this have none until their next import; search
takes them as written in the policy's default language. Staff see a customer's message
translated into the default language: one translation per message, kept here so it is
made once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_articles") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    op.create_table(
        "message_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "language", name="uq_message_translations"),
    )


def downgrade() -> None:
    op.drop_table("message_translations")
    with op.batch_alter_table("kb_articles") as batch:
        batch.drop_column("language")
