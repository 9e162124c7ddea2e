"""Stock kept honest: every change an admin makes is logged with who and why, and the merchant
is alerted when a product runs low: when its availability reaches its reorder point where that
is known (stored on the product by insight's restock check, every 30 minutes, from the sales of
the planning window and the lead times), else its alert threshold (`Product.low_mark`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from domain.shared.notifications import Notification

if TYPE_CHECKING:
    from domain.catalog.model import Product
    from domain.catalog.ports import CatalogUnitOfWork


LOW_STOCK_TEMPLATE = "adm.alert.low_stock"


def crossed_low(available_after: int, taken: int, threshold: int) -> bool:
    """Whether taking `taken` units brought availability from above the threshold to at or
    below it (a threshold of 0 means no alerts)."""
    return threshold > 0 and taken > 0 and available_after <= threshold < available_after + taken


async def queue_low_stock_alerts(
    uow: CatalogUnitOfWork,
    admin_chat_id: int | None,
    at: datetime,
    taken: Mapping[int, int],
    cause: str,
    *,
    left: Mapping[int, Product] | None = None,
) -> int:
    """After units left sale (`taken`: product id -> units), queue one admin alert for each
    product whose availability just crossed its low mark (reorder point, else threshold).
    `cause` (an order number, an inventory entry) makes the outbox dedupe key, so a replay
    alerts once. `left`: the products as the taking left them, where the caller has them
    (an order's reservation returns them), else they are read. Returns how many alerts were
    queued."""
    if admin_chat_id is None:
        return 0
    queued = 0
    for product_id, units in taken.items():
        product = (left or {}).get(product_id) or await uow.products.get(product_id)
        if product is None or not crossed_low(product.available, units, product.low_mark):
            continue
        await uow.outbox.add(
            Notification(
                chat_id=admin_chat_id,
                template=LOW_STOCK_TEMPLATE,
                params={
                    "product_id": product.id,
                    "name": product.name,
                    "sku": product.sku,
                    "available": product.available,
                    "threshold": product.low_mark,
                },
                dedupe_key=f"low_stock:{product.id}:{cause}"[:128],
            ),
            at,
        )
        queued += 1
    return queued
