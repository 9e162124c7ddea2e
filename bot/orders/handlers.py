"""The customer's orders: list, detail, cancelling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.orders.callbacks import AskCancelOrder, CancelOrder, OrderDetail, OrderList
from bot.shared.handlers import Context, button_handler, deps, lang, me
from bot.ui import reply, show
from domain.orders.lifecycle import CANCELLABLE_BY_CUSTOMER
from domain.orders.model import Order
from domain.shared.errors import (
    DomainError,
    NotFoundError,
)


async def orders_command(update: Update, context: Context) -> None:
    """Show the customer's orders."""
    d = deps(context)
    await reply(
        update,
        context,
        d.views.order_list(lang(context), await d.shop.my_orders(me(context).id, 0)),
    )


# -- orders -------------------------------------------------------------------------------------


@button_handler
async def on_orders(update: Update, context: Context, data: OrderList) -> str | None:
    """A page of the customer's orders."""
    d = deps(context)
    paged = await d.shop.my_orders(me(context).id, data.page)
    if not paged.items and data.page > 0:
        paged = await d.shop.my_orders(me(context).id, 0)
    await show(update, context, d.views.order_list(lang(context), paged))
    return None


@button_handler
async def on_order(update: Update, context: Context, data: OrderDetail) -> str | None:
    """One order with its timeline."""
    d = deps(context)
    order = await d.shop.my_order(me(context).id, data.number)
    lines, rows = await order_extras(context, order, data.page)
    await show(update, context, d.views.order_detail(lang(context), order, data.page, lines, rows))
    return None


OrderExtra = Callable[[Context, Order, int], Awaitable[tuple[list[str], list[list[Any]]]]]


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """What feature modules add to an order's detail (lines, button rows): each registers an
    `OrderExtra` in bot_data["order_extras"] (after-sales, reviews)."""
    lines: list[str] = []
    rows: list[list[Any]] = []
    extras: list[OrderExtra] = context.bot_data.get("order_extras", [])
    for extra in extras:
        more_lines, more_rows = await extra(context, order, page)
        lines.extend(more_lines)
        rows.extend(more_rows)
    return lines, rows


@button_handler
async def on_ask_cancel(update: Update, context: Context, data: AskCancelOrder) -> str | None:
    """Ask before cancelling."""
    d = deps(context)
    order = await d.shop.my_order(me(context).id, data.number)
    if order.status not in CANCELLABLE_BY_CUSTOMER:
        await show(update, context, d.views.order_detail(lang(context), order, data.page))
        return d.texts(
            lang(context), "order.cannot_cancel", status=d.views.status(lang(context), order)
        )
    await show(update, context, d.views.ask_cancel(lang(context), order, data.page))
    return None


@button_handler
async def on_cancel_order(update: Update, context: Context, data: CancelOrder) -> str | None:
    """Cancel an unpaid order."""
    d = deps(context)
    try:
        order = await d.shop.cancel_my_order(me(context).id, data.number)
    except DomainError as error:
        if isinstance(error, NotFoundError):
            raise
        order = await d.shop.my_order(me(context).id, data.number)
        await show(update, context, d.views.order_detail(lang(context), order, data.page))
        return d.texts(
            lang(context), "order.cannot_cancel", status=d.views.status(lang(context), order)
        )
    await show(update, context, d.views.order_detail(lang(context), order, data.page))
    return d.texts(lang(context), "order.cancelled_toast", number=order.number)
