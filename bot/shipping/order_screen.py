"""The customer's order screen, delivery part (registered in the services' order extras)."""

from __future__ import annotations

from bot.context import OrderSection, ShopContext
from bot.shipping.views import delivery_section
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order

WITH_PARCELS = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


async def order_extras(context: ShopContext, order: Order, page: int) -> OrderSection:
    """Carrier, tracking number, link and checkpoints of a shipped order; nothing before it
    ships (no database round trip)."""
    if order.status not in WITH_PARCELS:
        return [], []
    history = await context.services.tracking.delivery_of(order)
    return delivery_section(context.texts, context.lang, history)
