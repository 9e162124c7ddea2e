"""a product's reviews as one index range (issue 13): review_products holds a row per review
and product of its order, keyed (product_id, created_at, review_id) in /reviews' order.
/reviews SKU and a product card's comments walked every review newest first, checking each
one's order lines, until enough of the product's turned up: for a rarely sold product, all of
them. Filled here from the reviews there are

Revision ID: 0012_review_products
Revises: 0011_promo_buyer_term
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_review_products"
down_revision = "0011_promo_buyer_term"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_products",
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_products_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "created_at", "review_id", name=op.f("pk_review_products")
        ),
    )
    op.create_index("ix_review_products_review_id", "review_products", ["review_id"])
    op.execute(
        "INSERT INTO review_products (product_id, created_at, review_id) "
        "SELECT DISTINCT l.product_id, r.created_at, r.id FROM reviews r "
        "JOIN order_lines l ON l.order_id = r.order_id"
    )


def downgrade() -> None:
    op.drop_index("ix_review_products_review_id", table_name="review_products")
    op.drop_table("review_products")
