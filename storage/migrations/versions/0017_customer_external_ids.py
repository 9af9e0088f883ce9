"""customers carry their ids in the company's own systems

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:00:00

`external_ids` maps a system name to the customer's id there (`{"stripe": "cus_…",
"isp": "ISP-0042"}`), so a connector calls Stripe or an ISP's API for the verified
customer. Existing customers get an empty map.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("external_ids", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("external_ids")
