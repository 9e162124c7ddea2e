"""The catalog's unit of work: products and their inventory log."""

from __future__ import annotations

from typing import Protocol

from domain.catalog.model import InventoryRepository, ProductRepository
from domain.catalog.watch import StockWatchRepository
from domain.shared.ports import SharedUnitOfWork


class CatalogUnitOfWork(SharedUnitOfWork, Protocol):
    """The catalog's unit of work."""

    @property
    def products(self) -> ProductRepository: ...

    @property
    def inventory(self) -> InventoryRepository: ...

    @property
    def stock_watchers(self) -> StockWatchRepository:
        """Customers waiting for sold-out products (issue 16)."""
        ...
