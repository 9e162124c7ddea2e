"""What the reviews feature keeps: one review per order and customer, and its repository."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from domain.catalog.model import ProductComment
from domain.shared.errors import DomainError
from domain.shared.paging import Page, Paged

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
    reply: str | None = None  # the shop's one answer (personal data too: encrypted at rest)
    replied_at: datetime | None = None


class ReviewFilter(StrEnum):
    """Which reviews the merchant's /reviews lists."""

    ALL = "all"
    LOW = "low"  # LOW_RATING stars or fewer


LOW_RATING = 2


@dataclass
class ReviewEntry:
    """A review as the merchant reads it: who, which order and products, stars, comment, and
    the shop's reply."""

    id: int
    number: str
    customer_id: int
    customer: str
    rating: int
    comment: str | None
    reply: str | None
    created_at: datetime
    products: list[str] = field(default_factory=list)


class ReviewRepository(Protocol):
    async def get(self, order_id: int, customer_id: int) -> Review | None: ...
    async def entries(
        self,
        *,
        product_id: int | None,
        max_rating: int | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ReviewEntry], int]:
        """Reviews newest first (optionally of orders with the product, or at most
        `max_rating` stars), one page, and how many there are, counted up to
        `Page(0, limit).count_cap + 1` (Page.counted: more shows as "over N")."""

    async def entries_near(
        self, *, product_id: int | None, max_rating: int | None, page: Page
    ) -> Paged[ReviewEntry]:
        """The same list's page next to the review `page.seek.key` of the page shown (keyset
        paging by (created_at, id): one index range however deep), before/after said and its
        number kept in step (`keyset_page`). A key that names no review: the first page."""

    async def entry(self, review_id: int) -> ReviewEntry | None: ...
    async def set_reply(self, review_id: int, text: str, at: datetime, actor: str) -> bool:
        """Store the shop's reply unless the review has one already; True if stored."""

    async def product_comments(self, product_id: int, limit: int) -> list[ProductComment]:
        """The newest commented reviews of orders with the product."""

    async def save(self, review: Review) -> int:
        """Insert the review, or update the one this customer gave this order (one per order
        and customer, even when two arrive at once); returns its id."""
