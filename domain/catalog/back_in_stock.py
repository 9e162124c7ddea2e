"""The back-in-stock hook (issue 16): every path on which a product's available units grow
calls `queue_back_in_stock` in its own transaction (orders released or restocked by a
cancellation or expiry in domain/orders/transitions.py, a return restocked, a restock request
received, the merchant's stock change, reactivation and imports). It is one conditional UPDATE
on a partial index of the waiting subscriptions, so it costs the product's waiting
subscribers, and nothing when there are none."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from domain.shared.notifications import Notification

if TYPE_CHECKING:
    from domain.catalog.ports import CatalogUnitOfWork

BACK_IN_STOCK_TEMPLATE = "bis.back"


async def queue_back_in_stock(
    uow: CatalogUnitOfWork, product_ids: Iterable[int], at: datetime
) -> int:
    """After units came back on sale, queue one message to each customer waiting for one of
    these products (those still sold out or off sale are left waiting), and mark them
    notified, in the caller's transaction: a second restock later tells nobody again, a replay
    finds nobody waiting. Customers who turned optional messages off (/notifications) get it
    too: they asked for this one. Returns how many were queued."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    waiting = await uow.stock_watchers.take_waiting(ids, at)
    names: dict[int, str] = {}
    for watcher in waiting:
        if watcher.product_id not in names:
            product = await uow.products.get(watcher.product_id)
            names[watcher.product_id] = product.name if product else ""
        await uow.outbox.add(
            Notification(
                chat_id=watcher.customer_id,
                template=BACK_IN_STOCK_TEMPLATE,
                params={"product_id": watcher.product_id, "name": names[watcher.product_id]},
                language=watcher.language,
                # The subscription is marked in this transaction already; the key (the wait's
                # start and this moment) also keeps a second queueing of it out of the outbox.
                dedupe_key=(
                    f"bis:{watcher.product_id}:{watcher.customer_id}:"
                    f"{watcher.since:%y%m%d%H%M%S%f}:{at:%y%m%d%H%M%S%f}"
                ),
            ),
            at,
        )
    return len(waiting)
