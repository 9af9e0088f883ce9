"""conversations, messages and traces record their language

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 22:30:00

A conversation keeps the language its customer writes in (replies, hints and buttons are
worded in it); each inbound message records the language its turn decided and the locale
the channel reported for its sender (a Telegram user's app language, the browser's), and
each trace the language of the turn it describes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
    with op.batch_alter_table("traces") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("locale")
        batch.drop_column("language")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("language")
