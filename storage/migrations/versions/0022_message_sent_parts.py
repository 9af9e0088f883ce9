"""message sent parts: the platform message ids of the parts of a reply already sent

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 07:15:00

A reply too long for its channel goes as several platform messages; the ids of the
parts sent are kept on the row so any later attempt (another process, a staff retry)
sends only the rest.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_parts", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("sent_parts")
