"""The cart's unit of work."""

from __future__ import annotations

from typing import Protocol

from domain.cart.model import CartRepository
from domain.catalog.ports import CatalogUnitOfWork


class CartUnitOfWork(CatalogUnitOfWork, Protocol):
    """The cart's unit of work."""

    @property
    def carts(self) -> CartRepository: ...
