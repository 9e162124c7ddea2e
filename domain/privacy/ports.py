"""Personal data's unit of work: the merchant's, plus finding orders by what people type."""

from __future__ import annotations

from typing import Protocol

from domain.merchant.ports import MerchantUnitOfWork
from domain.reviews.ports import ReviewsUnitOfWork


class OrderSearch(Protocol):
    """Finds orders through the blind index (storage/privacy.py), never by scanning them."""

    async def orders(self, text: str, limit: int) -> list[int]:
        """Ids of the orders `text` finds, newest first, at most `limit`: a tracking number,
        a phone number in any common format, an @username, or every word of a recipient's or
        customer's name (whole words)."""
        ...


class PrivacyUnitOfWork(MerchantUnitOfWork, ReviewsUnitOfWork, Protocol):
    """The privacy feature's unit of work."""

    @property
    def search(self) -> OrderSearch: ...
