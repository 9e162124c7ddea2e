"""The daily low-stock report: every product at or below its low mark (its reorder point where
known, else its alert threshold; see `Product.low_mark`), with how many units to order.

Where the stock plan is known (the restock check stores the reorder point ROP and the EOQ on
the product), the suggestion is the plan's: max(EOQ, ROP − available + 1, 1) — the EOQ, or more
if that would not lift stock above the reorder point. Otherwise the suggested quantity covers
the expected sales of the next `cover_days` on top of the threshold, and is at least enough to
get back to twice the threshold:

    velocity  = units sold in the last 30 days / 30           (units per day)
    target    = ceil(velocity × cover_days) + threshold      (sell for cover_days, still not low)
    suggested = max(target − available, 2 × threshold − available, 1)

so a product that sells 3 a day with a 14-day lead time gets 42 units plus its threshold, and
a slow product still gets a restock that lifts it well clear of the alert.

"The last 30 days" are whole UTC days: from the UTC midnight on or before 30 days ago until now
(30 to 31 days), because the units come from the daily sales rollup only, whatever the history
(issue 13). Each line of the report says from which day it counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from domain.catalog.model import Product
from domain.shared.clock import Clock
from domain.shared.notifications import Notification

if TYPE_CHECKING:
    from domain.merchant.ports import MerchantUnitOfWork
    from domain.shared.ports import UnitOfWorkFactory

SALES_WINDOW = timedelta(days=30)
REPORT_TEMPLATE = "jobs.low_stock.report"
# "jobs.low_stock.item" (sold in 30 days) stays in the catalogs for reports queued before the
# window was whole UTC days.
ITEM_TEMPLATE = "jobs.low_stock.line"
REPORT_MAX_ITEMS = 40  # one Telegram message; the rest is counted


def suggest_restock(available: int, threshold: int, sold_30_days: int, cover_days: int) -> int:
    """Units to order for a product that is low without a stock plan (see the module
    docstring for the formula)."""
    velocity = max(sold_30_days, 0) / SALES_WINDOW.days
    target = math.ceil(velocity * max(cover_days, 0)) + threshold
    return max(target - available, 2 * threshold - available, 1)


def suggest_for(product: Product, sold_30_days: int, cover_days: int) -> int:
    """The plan's suggestion (the EOQ, or enough to clear the reorder point) where the plan is
    known, else `suggest_restock`."""
    rop, eoq = product.reorder_point, product.reorder_quantity
    if rop is not None and eoq is not None:
        return max(eoq, rop - product.available + 1, 1)
    return suggest_restock(product.available, product.low_stock_threshold, sold_30_days, cover_days)


def sales_since(now: datetime) -> datetime:
    """The start of the report's sales window: the UTC midnight on or before `now` minus
    `SALES_WINDOW` (the daily sales rollup counts whole UTC days)."""
    return (now - SALES_WINDOW).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class LowStockLine:
    """One product of the report."""

    product: Product
    sold_30_days: int  # since `since`: see the module docstring
    suggested: int
    since: datetime


class LowStockReport:
    """Builds the report and queues it for the admin chat, once per day."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[MerchantUnitOfWork],
        clock: Clock,
        admin_chat_id: int | None,
        cover_days: int = 14,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.admin_chat_id = admin_chat_id
        self.cover_days = cover_days

    async def lines(self) -> list[LowStockLine]:
        """The products that are low now, with their suggested restock."""
        since = sales_since(self._clock.now())
        async with self._uow(readonly=True) as uow:
            found = await uow.sweeps.low_stock(since, 500)
        return [
            LowStockLine(product, sold, suggest_for(product, sold, self.cover_days), since)
            for product, sold in found
        ]

    async def queue(self, day: str) -> int:
        """Queue the report of `day` (the shop's local date) for the admin chat; a second call
        for the same day queues nothing. Returns the number of products listed."""
        if self.admin_chat_id is None:
            return 0
        lines = await self.lines()
        if not lines:
            return 0
        shown = lines[:REPORT_MAX_ITEMS]
        async with self._uow() as uow:
            await uow.outbox.add(
                Notification(
                    chat_id=self.admin_chat_id,
                    template=REPORT_TEMPLATE,
                    params={
                        "date": day,
                        "n": len(lines),
                        # language-neutral, so it needs no text of its own
                        "more": f"\n… +{len(lines) - len(shown)}"
                        if len(lines) > len(shown)
                        else "",
                        "item_template": ITEM_TEMPLATE,
                        "items": [
                            {
                                "name": line.product.name,
                                "sku": line.product.sku,
                                "available": line.product.available,
                                "threshold": line.product.low_mark,
                                "sold": line.sold_30_days,
                                "since": line.since.strftime("%Y-%m-%d"),
                                "suggested": line.suggested,
                            }
                            for line in shown
                        ],
                    },
                    dedupe_key=f"low_stock_report:{day}",
                ),
                self._clock.now(),
            )
            await uow.commit()
        return len(lines)
