"""Tables of reviews: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.reviews.records import LOW_RATING
from storage.base import Base, intpk, timestamp
from storage.crypto import Encrypted

# The low reviews' filter, as SQL with its constant: a planner uses a partial index only for
# a query that says the same (a bound parameter would not).
LOW_REVIEWS = f"rating <= {int(LOW_RATING)}"


class ReviewRow(Base):
    """A customer's rating (1-5) of a completed order; one per order and customer."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "customer_id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        Index("ix_reviews_created", "created_at", "id"),  # /reviews, newest first
        # /reviews low: the low ones alone, newest first (a shop may have a handful among
        # thousands; walking ix_reviews_created for them read the rest too)
        Index(
            "ix_reviews_low",
            "created_at",
            "id",
            sqlite_where=text(LOW_REVIEWS),
            postgresql_where=text(LOW_REVIEWS),
        ),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Encrypted())  # personal, encrypted
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    # The shop's one reply, personal like the comment it answers: encrypted.
    reply: Mapped[str | None] = mapped_column(Encrypted())
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_by: Mapped[str | None] = mapped_column(String(64))


class ReviewProductRow(Base):
    """A review as one of its order's products' reviews: one row per product of the order,
    written with the review. A product's reviews (/reviews SKU, its card's comments) are one
    range of this key in the list's order (newest first), however many reviews other
    products have; from `reviews` alone they were a walk over every review, newest first,
    until enough of the product's turned up (issue 13)."""

    __tablename__ = "review_products"

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[timestamp] = mapped_column(primary_key=True)  # the review's
    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True, index=True
    )
