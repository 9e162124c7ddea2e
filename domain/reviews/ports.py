"""The reviews' unit of work (a comment is typed in an after-sales draft)."""

from __future__ import annotations

from typing import Protocol

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.reviews.records import ReviewRepository


class ReviewsUnitOfWork(AfterSalesUnitOfWork, Protocol):
    """The reviews' unit of work (a comment is typed in an after-sales draft)."""

    @property
    def reviews(self) -> ReviewRepository: ...
