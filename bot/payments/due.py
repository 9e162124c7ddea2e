"""The payment section of the customer's order screen: how to pay and by when, for as long as
the order waits for its payment."""

from __future__ import annotations

from bot.context import OrderSection, ShopContext
from domain.orders.model import Order


async def order_extras(context: ShopContext, order: Order, page: int) -> OrderSection:
    """Bank details or the invoice hint and the deadline of an unpaid order (its Pay now or
    Send receipt button is already on the screen); nothing once it no longer waits."""
    due = await context.payments.payment_due(order)
    if due is None:
        return [], []
    return context.views.payment_section(context.lang, order, due), []
