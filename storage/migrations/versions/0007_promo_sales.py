"""promo codes' figures as a rollup (issue 13): orders placed with a code by the code and the
order's status, so a code's card reads a few rows instead of every order that used it

Revision ID: 0007_promo_sales
Revises: 0006_channel_orders
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_promo_sales"
down_revision = "0006_channel_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promo_sales",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", "status", name=op.f("pk_promo_sales")),
    )
    # The orders already placed with a code, as storage/rollups.py counts them from now on.
    op.execute(
        "INSERT INTO promo_sales (code, status, orders, total_minor, discount_minor) "
        "SELECT promo_code, status, count(*), sum(total_minor), sum(discount_minor) "
        "FROM orders WHERE promo_code IS NOT NULL GROUP BY promo_code, status"
    )


def downgrade() -> None:
    op.drop_table("promo_sales")
