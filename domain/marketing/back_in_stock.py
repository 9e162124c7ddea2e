"""Notify me when back in stock (issue 16): a customer waits for a sold-out product, once.
The message itself is queued by the catalog's hook (domain/catalog/back_in_stock.py) in the
transaction that brings units back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.catalog.model import Product
from domain.catalog.ports import CatalogUnitOfWork
from domain.shared.clock import Clock
from domain.shared.errors import ProductUnavailableError
from domain.shared.ports import UnitOfWorkFactory


class Watching(StrEnum):
    """What a tap on "Notify me" did."""

    STARTED = "started"  # the customer waits now
    ALREADY = "already"  # they were waiting already (a double tap): nothing changed
    IN_STOCK = "in_stock"  # it is on sale again: nothing to wait for


@dataclass(frozen=True)
class Watch:
    """The product and what the tap did."""

    product: Product
    state: Watching


class BackInStock:
    """Customers waiting for sold-out products."""

    def __init__(self, uow: UnitOfWorkFactory[CatalogUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _product(self, uow: CatalogUnitOfWork, product_id: int) -> Product:
        product = await uow.products.get(product_id)
        if product is None or not product.active:
            raise ProductUnavailableError()
        return product

    async def watch(self, customer_id: int, product_id: int) -> Watch:
        """Wait for a sold-out product (idempotent: a second tap says they already wait)."""
        async with self._uow() as uow:
            product = await self._product(uow, product_id)
            if product.in_stock:
                return Watch(product, Watching.IN_STOCK)
            started = await uow.stock_watchers.watch(customer_id, product_id, self._clock.now())
            if started:
                await uow.commit()
        return Watch(product, Watching.STARTED if started else Watching.ALREADY)

    async def unwatch(self, customer_id: int, product_id: int) -> Product:
        """Stop waiting (nothing changes if they were not)."""
        async with self._uow() as uow:
            product = await self._product(uow, product_id)
            if await uow.stock_watchers.unwatch(customer_id, product_id):
                await uow.commit()
        return product

    async def is_watching(self, customer_id: int, product_id: int) -> bool:
        """Whether the customer waits for the product."""
        async with self._uow(readonly=True) as uow:
            return await uow.stock_watchers.is_watching(customer_id, product_id)
