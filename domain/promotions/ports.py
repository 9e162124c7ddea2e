"""The promotions' unit of work: the orders' repositories and the promo codes."""

from __future__ import annotations

from typing import Protocol

from domain.orders.ports import OrdersUnitOfWork
from domain.promotions.model import PromoRepository


class PromotionsUnitOfWork(OrdersUnitOfWork, Protocol):
    """The promotions' unit of work."""

    @property
    def promos(self) -> PromoRepository: ...
