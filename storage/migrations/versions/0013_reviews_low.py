"""/reviews low by its own index (issue 13): the low reviews (rated 2 or less) alone, newest
first, as a partial index on (created_at, id); the list and its capped count walked
ix_reviews_created and skipped every other review, all of them when few are low

Revision ID: 0013_reviews_low
Revises: 0012_review_products
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_reviews_low"
down_revision = "0012_review_products"
branch_labels = None
depends_on = None

LOW_REVIEWS = "rating <= 2"  # storage/tables/reviews.py LOW_REVIEWS, as it was written here


def upgrade() -> None:
    op.create_index(
        "ix_reviews_low",
        "reviews",
        ["created_at", "id"],
        sqlite_where=sa.text(LOW_REVIEWS),
        postgresql_where=sa.text(LOW_REVIEWS),
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_low", table_name="reviews")
