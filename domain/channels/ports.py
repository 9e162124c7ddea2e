"""The sales channels' unit of work: the merchant's, plus what only orders from other channels
need (an order by the channel's own id, the sync's pages, the customer a phone belongs to)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.checkout.ports import CheckoutUnitOfWork
from domain.merchant.ports import MerchantUnitOfWork
from domain.orders.model import Order


class ChannelRepository(Protocol):
    """Orders placed through other sales channels, and who they belong to."""

    async def by_reference(self, channel: str, reference: str) -> Order | None:
        """The channel's order with this reference of its own, or None."""
        ...

    async def changed_since(
        self, since: datetime, after: tuple[datetime, int] | None, limit: int
    ) -> list[Order]:
        """Up to `limit` orders whose `updated_at` is at or after `since`, in (updated_at, id)
        order, starting after the key `after` (the last row of the previous page): a keyset
        page on ix_orders_updated, never OFFSET."""
        ...

    async def customer_with_phone(self, phone: str) -> int | None:
        """The Telegram customer who shared this phone (E.164) as their own contact (one at a
        time: verifying a number takes it from whoever had it); found through the blind
        index."""
        ...

    async def ensure_channel_customer(self, customer_id: int, name: str) -> None:
        """The customer row that stands for a channel's buyers without a Telegram account
        (no chat: notifications to it are skipped); created once, safe under concurrency."""
        ...


class ChannelsUnitOfWork(MerchantUnitOfWork, CheckoutUnitOfWork, Protocol):
    """The sales channels' unit of work."""

    @property
    def channels(self) -> ChannelRepository: ...
