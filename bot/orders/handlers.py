"""The customer's orders: list, detail, cancelling."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update

from bot.callback_data import Callback
from bot.context import Handler, OrderSection, ShopApp, ShopContext
from bot.orders.callbacks import AskCancelOrder, CancelOrder, OrderDetail, OrderList
from bot.shared.handlers import add_customer_handlers, button_handler
from bot.ui import reply, show
from domain.orders.lifecycle import CANCELLABLE_BY_CUSTOMER
from domain.orders.model import Order
from domain.shared.errors import (
    DomainError,
    NotFoundError,
)


async def orders_command(update: Update, context: ShopContext) -> None:
    """Show the customer's orders."""
    await reply(
        update,
        context,
        context.views.order_list(
            context.lang, await context.shop.my_orders(context.customer.id, 0)
        ),
    )


# -- orders -------------------------------------------------------------------------------------


@button_handler
async def on_orders(update: Update, context: ShopContext, data: OrderList) -> str | None:
    """A page of the customer's orders."""
    paged = await context.shop.my_orders(context.customer.id, data.page)
    if not paged.items and data.page > 0:
        paged = await context.shop.my_orders(context.customer.id, 0)
    await show(update, context, context.views.order_list(context.lang, paged))
    return None


@button_handler
async def on_order(update: Update, context: ShopContext, data: OrderDetail) -> str | None:
    """One order with its timeline."""
    order = await context.shop.my_order(context.customer.id, data.number)
    lines, rows = await order_extras(context, order, data.page)
    await show(
        update, context, context.views.order_detail(context.lang, order, data.page, lines, rows)
    )
    return None


async def order_extras(context: ShopContext, order: Order, page: int) -> OrderSection:
    """What feature modules add to an order's detail (lines, button rows): the composition root
    lists them in the services' `order_extras` (after-sales, reviews)."""
    lines: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    for extra in context.services.order_extras:
        more_lines, more_rows = await extra(context, order, page)
        lines.extend(more_lines)
        rows.extend(more_rows)
    return lines, rows


@button_handler
async def on_ask_cancel(update: Update, context: ShopContext, data: AskCancelOrder) -> str | None:
    """Ask before cancelling."""
    order = await context.shop.my_order(context.customer.id, data.number)
    if order.status not in CANCELLABLE_BY_CUSTOMER:
        await show(update, context, context.views.order_detail(context.lang, order, data.page))
        return context.texts(
            context.lang, "order.cannot_cancel", status=context.views.status(context.lang, order)
        )
    await show(update, context, context.views.ask_cancel(context.lang, order, data.page))
    return None


@button_handler
async def on_cancel_order(update: Update, context: ShopContext, data: CancelOrder) -> str | None:
    """Cancel an unpaid order."""
    try:
        order = await context.shop.cancel_my_order(context.customer.id, data.number)
    except DomainError as error:
        if isinstance(error, NotFoundError):
            raise
        order = await context.shop.my_order(context.customer.id, data.number)
        await show(update, context, context.views.order_detail(context.lang, order, data.page))
        return context.texts(
            context.lang, "order.cannot_cancel", status=context.views.status(context.lang, order)
        )
    await show(update, context, context.views.order_detail(context.lang, order, data.page))
    return context.texts(context.lang, "order.cancelled_toast", number=order.number)


COMMANDS: dict[str, Handler] = {
    "orders": orders_command,
}
BUTTONS: list[tuple[type[Callback], Handler]] = [
    (OrderList, on_orders),
    (OrderDetail, on_order),
    (AskCancelOrder, on_ask_cancel),
    (CancelOrder, on_cancel_order),
]


def register(app: ShopApp) -> None:
    """The customer's orders."""
    add_customer_handlers(app, COMMANDS, BUTTONS)
