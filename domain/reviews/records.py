"""What the reviews feature keeps: one review per order and customer, and its repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.shared.errors import DomainError

if TYPE_CHECKING:
    pass


COMMENT_MAX = 500


class ReviewError(DomainError):
    """A review rule refused; nothing changed (the key says which)."""

    key = "review.error.generic"


@dataclass
class Review:
    """A customer's rating of one completed order, with an optional comment."""

    order_id: int
    customer_id: int
    rating: int
    created_at: datetime
    updated_at: datetime
    comment: str | None = None
    id: int | None = None


class ReviewRepository(Protocol):
    async def get(self, order_id: int, customer_id: int) -> Review | None: ...
    async def save(self, review: Review) -> int:
        """Insert the review, or update the one this customer gave this order (one per order
        and customer, even when two arrive at once); returns its id."""
