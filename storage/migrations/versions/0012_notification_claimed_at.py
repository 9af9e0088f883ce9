"""staff notification claim time

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 11:10:00

A notification being posted records when it was claimed, so a replica requeues only
claims older than any post can take (one whose replica died), never one still in flight.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_notifications", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
