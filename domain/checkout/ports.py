"""The checkout's unit of work: carts, saved addresses and checkouts, promo codes, placing
orders."""

from __future__ import annotations

from typing import Protocol

from domain.cart.ports import CartUnitOfWork
from domain.checkout.model import AddressRepository, CheckoutRepository
from domain.promotions.ports import PromotionsUnitOfWork


class CheckoutUnitOfWork(PromotionsUnitOfWork, CartUnitOfWork, Protocol):
    """The checkout's unit of work."""

    @property
    def addresses(self) -> AddressRepository: ...

    @property
    def checkouts(self) -> CheckoutRepository: ...
