"""Customers waiting for a sold-out product (issue 16, "notify me when back in stock").

The subscriptions belong to marketing (domain/marketing/back_in_stock.py subscribes), but stock
grows in features below it (an order cancelled or expired, a return restocked, a restock
received, the merchant's stock change, reactivation, an import), so the port and the hook live
here (the hook: domain/catalog/back_in_stock.py), where every one of those paths can call it in
its own transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.shared.customers import Language


@dataclass(frozen=True)
class Watcher:
    """A customer whose product is back: who, which product, since when they waited, and the
    language to tell them in."""

    customer_id: int
    product_id: int
    since: datetime
    language: Language


class StockWatchRepository(Protocol):
    async def watch(self, customer_id: int, product_id: int, at: datetime) -> bool:
        """Wait for the product; True if the customer was not waiting already (a subscription
        that was notified waits again)."""

    async def unwatch(self, customer_id: int, product_id: int) -> bool:
        """Stop waiting; True if the customer was waiting."""

    async def is_watching(self, customer_id: int, product_id: int) -> bool: ...
    async def take_waiting(self, product_ids: Collection[int], at: datetime) -> list[Watcher]:
        """Mark notified, and return, the waiting subscriptions of those products that are on
        sale and available now (ordered by product, then subscription)."""
