"""The orders' unit of work: orders, the merchant's listings over them, and the sweeps' queries."""

from __future__ import annotations

from typing import Protocol

from domain.catalog.ports import CatalogUnitOfWork
from domain.orders.backoffice import BackofficeRepository
from domain.orders.model import OrderRepository
from domain.orders.sweeps import SweepRepository


class OrdersUnitOfWork(CatalogUnitOfWork, Protocol):
    """The orders' unit of work."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def backoffice(self) -> BackofficeRepository: ...

    @property
    def sweeps(self) -> SweepRepository: ...
