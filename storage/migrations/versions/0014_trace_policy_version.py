"""traces record the policy version that decided each turn, and its workflow steps

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:45:00

A content hash of the policy file, so a turn can be read (and replayed) against the
policy that made its decisions; and the written workflows' step path
(`billing_issue:steps[2].then[0]`), so an auditor sees which branch ran.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.add_column(sa.Column("policy_version", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("steps", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("steps")
        batch.drop_column("policy_version")
