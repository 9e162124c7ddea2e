"""shipping options (issue 16): the delivery method an order was placed with, as a snapshot

Revision ID: 0004_shipping_method
Revises: 0003_api_keys
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_shipping_method"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {"code", "kind", "name": {"en", "zh"}, "place"}; NULL: the shop's flat SHIPPING_FEE
    # (orders placed before shipping methods, or a shop without SHIPPING_METHODS).
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_method", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_method")
