"""What the merchant's side needs from persistence beyond the customer's repositories:
orders across customers, every product (inactive ones too), and product edits."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from domain.catalog.model import Product
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.money import Money
from domain.shared.paging import Page, Paged


class BackofficeRepository(Protocol):
    async def orders(
        self, statuses: Collection[OrderStatus] | None, page: Page, *, oldest_first: bool
    ) -> Paged[Order]:
        """Orders in any of `statuses` (None: all), with their lines, by (created_at, id).
        With `page.seek`, the page next to that order (keyset paging: one index range however
        deep), its `before`/`after` said and its number kept in step (`keyset_page`); without,
        the page `page.number` counted from the start (the bot asks so only for the first)."""

    async def recent_orders(self, limit: int) -> list[Order]:
        """The newest orders with their lines, newest first."""

    async def products(self, page: Page) -> Paged[Product]:
        """All products, inactive ones too, by category and name."""

    async def all_products(self) -> list[Product]:
        """Every product, by category and name."""

    async def product_id_by_sku(self, sku: str) -> int | None: ...
    async def update_product(
        self,
        product_id: int,
        *,
        name: str | None = None,
        price: Money | None = None,
        description: str | None = None,
        low_stock_threshold: int | None = None,
        active: bool | None = None,
        photo_file_id: str | None = None,
    ) -> bool:
        """Change the given fields; False when there is no such product."""

    async def adjust_stock(self, product_id: int, delta: int) -> int | None:
        """Atomically add `delta` (may be negative) to the stock unless that would leave fewer
        units than are reserved; returns the new stock, or None when refused or missing."""
