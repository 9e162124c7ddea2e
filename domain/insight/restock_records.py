"""The records of restock requests and the repository that stores them (storage/insight.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.insight.stock import StockPlan


class RestockStatus(StrEnum):
    """Where a restock request stands."""

    OPEN = "open"  # raised by the stock plan, waiting for the merchant
    APPROVED = "approved"  # the merchant ordered it from the supplier
    DISMISSED = "dismissed"  # not wanted (closed)
    RECEIVED = "received"  # the goods arrived and were added to stock (closed)


ACTIVE = frozenset({RestockStatus.OPEN, RestockStatus.APPROVED})


@dataclass(frozen=True)
class RestockRequest:
    """A purchase order draft."""

    id: int
    product_id: int
    sku: str
    name: str
    quantity: int
    reorder_point: int
    available: int  # when it was raised
    status: RestockStatus
    supplier_note: str
    created_at: datetime


class RestockRepository(Protocol):
    """Restock requests (storage/insight.py)."""

    async def add(self, plan: StockPlan, quantity: int, at: datetime) -> int | None:
        """A new open request; None when the product already has an active one."""
        ...

    async def get(self, request_id: int) -> RestockRequest | None: ...

    async def active(self, limit: int) -> list[RestockRequest]: ...

    async def move(
        self,
        request_id: int,
        before: Collection[RestockStatus],
        after: RestockStatus,
        actor: str,
        at: datetime,
    ) -> bool:
        """Compare-and-set the status; closing statuses stamp closed_at."""
        ...

    async def edit(
        self, request_id: int, quantity: int, note: str, actor: str, at: datetime
    ) -> bool:
        """Change an active request's quantity and supplier note."""
        ...
