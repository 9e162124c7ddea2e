"""Restock requests: a purchase order draft for a product that reached its reorder point.

A request is raised once per product while it is active (open or approved): the database's
partial unique index refuses a second. The merchant approves it, edits its quantity and
supplier note, or dismisses it; marking it received adds the units to stock through the
inventory log, in the same transaction as the status change (compare-and-set, so a double tap
adds them once)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from domain.catalog.back_in_stock import queue_back_in_stock
from domain.catalog.model import InventoryEntry
from domain.insight.restock_records import ACTIVE, RestockRequest, RestockStatus
from domain.insight.stock import StockPlan
from domain.shared.clock import Clock
from domain.shared.errors import DomainError
from domain.shared.notifications import Notification

if TYPE_CHECKING:
    from domain.insight.ports import InsightUnitOfWork
    from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

RAISED_TEMPLATE = "insight.restock.raised"
RAISED_ITEM_TEMPLATE = "insight.restock.raised_item"
MAX_QUANTITY = 1_000_000
NOTE_MAX = 300


class RestockError(DomainError):
    """The request cannot take that step (already closed, unknown, bad quantity)."""

    key = "insight.restock.refused"


class Restocks:
    """The merchant's restock requests."""

    def __init__(
        self, uow: UnitOfWorkFactory[InsightUnitOfWork], clock: Clock, admin_chat_id: int | None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.admin_chat_id = admin_chat_id

    async def raise_due(self, plans: Sequence[StockPlan]) -> list[int]:
        """Raise a request for each due product without an active one (EOQ-based quantity),
        and tell the admin chat about the new ones. Returns the new requests' ids."""
        now = self._clock.now()
        raised: list[tuple[int, StockPlan]] = []
        async with self._uow() as uow:
            for plan in plans:
                if plan.due:
                    request_id = await uow.restocks.add(plan, plan.suggested, now)
                    if request_id is not None:
                        raised.append((request_id, plan))
            if raised and self.admin_chat_id is not None:
                await uow.outbox.add(
                    Notification(
                        chat_id=self.admin_chat_id,
                        template=RAISED_TEMPLATE,
                        params={
                            "count": len(raised),
                            "item_template": RAISED_ITEM_TEMPLATE,
                            "items": [
                                {
                                    "id": request_id,
                                    "name": plan.name,
                                    "sku": plan.sku,
                                    "available": plan.available,
                                    "rop": plan.reorder_point,
                                    "qty": plan.suggested,
                                }
                                for request_id, plan in raised
                            ],
                        },
                        dedupe_key=f"restock_raised:{raised[0][0]}",
                    ),
                    now,
                )
            await uow.commit()
        for request_id, plan in raised:
            log.info(
                "restock request #%d raised: %s available %d <= ROP %d, order %d",
                request_id,
                plan.sku,
                plan.available,
                plan.reorder_point,
                plan.suggested,
            )
        return [request_id for request_id, _ in raised]

    async def active(self, limit: int = 30) -> list[RestockRequest]:
        """The requests waiting for the merchant or the supplier, oldest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.restocks.active(limit)

    async def _move(
        self, request_id: int, before: Collection[RestockStatus], after: RestockStatus, actor: str
    ) -> RestockRequest:
        async with self._uow() as uow:
            request = await uow.restocks.get(request_id)
            if request is None or not await uow.restocks.move(
                request_id, before, after, actor, self._clock.now()
            ):
                raise RestockError(id=request_id)
            await uow.commit()
        log.info("restock request #%d %s by %s", request_id, after.value, actor)
        return request

    async def approve(self, request_id: int, actor: str) -> RestockRequest:
        """The merchant ordered it."""
        return await self._move(request_id, {RestockStatus.OPEN}, RestockStatus.APPROVED, actor)

    async def dismiss(self, request_id: int, actor: str) -> RestockRequest:
        """Not wanted; a new request may be raised later."""
        return await self._move(request_id, ACTIVE, RestockStatus.DISMISSED, actor)

    async def edit(self, request_id: int, quantity: int, note: str, actor: str) -> None:
        """Change the quantity (1 to a million) and the supplier note of an active request."""
        if not 0 < quantity <= MAX_QUANTITY:
            raise RestockError(id=request_id)
        async with self._uow() as uow:
            if not await uow.restocks.edit(
                request_id, quantity, note.strip()[:NOTE_MAX], actor, self._clock.now()
            ):
                raise RestockError(id=request_id)
            await uow.commit()
        log.info("restock request #%d edited by %s: %d units", request_id, actor, quantity)

    async def receive(self, request_id: int, actor: str) -> RestockRequest:
        """The goods arrived: close the request and add its units through the inventory log."""
        now = self._clock.now()
        async with self._uow() as uow:
            request = await uow.restocks.get(request_id)
            if request is None or not await uow.restocks.move(
                request_id, ACTIVE, RestockStatus.RECEIVED, actor, now
            ):
                raise RestockError(id=request_id)
            await uow.products.restock(request.product_id, request.quantity)
            await queue_back_in_stock(uow, [request.product_id], now)  # issue 16
            product = await uow.products.get(request.product_id)
            assert product is not None  # the request's foreign key holds it
            await uow.inventory.add(
                InventoryEntry(
                    product_id=request.product_id,
                    delta=request.quantity,
                    stock_after=product.stock,
                    reason=f"restock request #{request_id} received",
                    actor=actor,
                    at=now,
                )
            )
            await uow.commit()
        log.info(
            "restock request #%d received by %s: %s +%d",
            request_id,
            actor,
            request.sku,
            request.quantity,
        )
        return request
