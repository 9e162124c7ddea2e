"""Personal data's unit of work: the merchant's, plus finding orders by what people type and a
customer's own data (what /mydata exports and erases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.checkout.model import Address
from domain.merchant.ports import MerchantUnitOfWork
from domain.reviews.ports import ReviewsUnitOfWork


class OrderSearch(Protocol):
    """Finds orders through the blind index (storage/privacy.py), never by scanning them."""

    async def orders(self, text: str, limit: int) -> list[int]:
        """Ids of the orders `text` finds, newest first, at most `limit`: a tracking number,
        a phone number in any common format, an @username, or every word of a recipient's or
        customer's name (whole words)."""
        ...


@dataclass(frozen=True)
class Erasure:
    """What erasing a customer's personal data touched."""

    orders: int  # orders kept for the books, now without the person
    addresses: int  # saved addresses deleted
    requests: int  # after-sales requests whose details and photos were cleared
    reviews: int  # reviews whose comment was cleared
    messages: int  # outbox rows to the customer whose parameters were cleared


class PersonalData(Protocol):
    """A customer's personal data as a whole, in the caller's transaction."""

    async def addresses(self, customer_id: int) -> list[Address]:
        """Every saved address of the customer, newest first (not only the latest few)."""
        ...

    async def erase(self, customer_id: int, placeholder: str, at: datetime) -> Erasure:
        """Erase the customer's personal data: name and @username become `placeholder` and
        None, saved addresses, the checkout draft and the after-sales dialog are deleted, their
        orders' recipient, phone and address become `placeholder` and leave the blind index,
        after-sales details and photos and review comments are cleared, and messages to them in
        the outbox lose their parameters (those not yet sent are given up, at `at`). Amounts,
        lines, statuses and events stay for the merchant's books."""
        ...


class PrivacyUnitOfWork(MerchantUnitOfWork, ReviewsUnitOfWork, Protocol):
    """The privacy feature's unit of work."""

    @property
    def search(self) -> OrderSearch: ...

    @property
    def personal(self) -> PersonalData: ...
