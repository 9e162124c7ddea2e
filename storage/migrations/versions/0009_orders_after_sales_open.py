"""orders with after-sales requests open (issue 13): the admin's after-sales filter read every
order to find the few with after_sales_open > 0; a partial index on (created_at, id) holds
only those, in the list's order

Revision ID: 0009_orders_after_sales_open
Revises: 0008_sales_days_product
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_orders_after_sales_open"
down_revision = "0008_sales_days_product"
branch_labels = None
depends_on = None

AFTER_SALES_OPEN = "after_sales_open > 0"


def upgrade() -> None:
    op.create_index(
        "ix_orders_after_sales_open",
        "orders",
        ["created_at", "id"],
        sqlite_where=sa.text(AFTER_SALES_OPEN),
        postgresql_where=sa.text(AFTER_SALES_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_after_sales_open", table_name="orders")
