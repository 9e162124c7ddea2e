"""a product's days in the daily sales rollup (issue 13): the daily low-stock report sums the
units of its low products over 30 days; the rollup's key leads with the day, so that read every
product's 30 days

Revision ID: 0008_sales_days_product
Revises: 0007_promo_sales
Create Date: 2026-12-07
"""

from alembic import op

revision = "0008_sales_days_product"
down_revision = "0007_promo_sales"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_product_sales_days_product_day", "product_sales_days", ["product_id", "day"]
    )


def downgrade() -> None:
    op.drop_index("ix_product_sales_days_product_day", table_name="product_sales_days")
