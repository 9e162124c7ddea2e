"""The merchant's orders: lists, an order's file, and the steps taken on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import ShopContext
from bot.merchant.callbacks import (
    AdminCancel,
    AdminComplete,
    AdminConfirmCod,
    AdminDeliver,
    AdminMessage,
    AdminNote,
    AdminOpenOrder,
    AdminOrder,
    AdminOrderOnPage,
    AdminOrders,
    AdminOrdersPage,
    AdminShip,
)
from bot.merchant.common import dialog_prompt, order_screen
from bot.merchant.placement import started
from bot.screens import Screen
from bot.shared.handlers import chat_and_user
from bot.ui import reply, show
from domain.merchant.rules import OrderFilter
from domain.shared.dialogs import Dialog, StaleDialogError
from domain.shared.errors import DomainError, NotFoundError
from domain.shared.paging import Seek, Toward


async def orders_command(update: Update, context: ShopContext) -> None:
    """Orders to ship (or `/orders all`, `/orders pend`, ...)."""
    wanted = (context.args or ["ship"])[0].lower()
    which = next((f for f in OrderFilter if f.value == wanted), OrderFilter.TO_SHIP)
    await reply(
        update,
        context,
        context.admin_views.order_list(which, await context.merchant.orders(which, 0)),
    )


async def order_command(update: Update, context: ShopContext) -> None:
    """One order: /order 7KQ2-M9XD."""
    number = " ".join(context.args or []).strip()
    if not number:
        await reply(
            update, context, Screen(context.texts(context.admin_language, "adm.orders.usage"))
        )
        return
    try:
        screen = await order_screen(context, number)
    except NotFoundError as error:
        await reply(update, context, Screen(context.admin_views.error(error)))
        return
    await reply(update, context, screen)


def _filter(raw: str) -> OrderFilter:
    try:
        return OrderFilter(raw)
    except ValueError:
        raise StaleDialogError() from None


async def on_orders(update: Update, context: ShopContext, data: AdminOrders) -> str | None:
    """The first page of orders under a filter. A page above 0 is a Prev/Next button sent
    before the lists paged by key: the page it meant may have moved, so the first page shows
    and a toast says why."""
    which = _filter(data.filter)
    paged = await context.merchant.orders(which, 0)
    await show(update, context, context.admin_views.order_list(which, paged))
    if data.page > 0:
        return context.texts(context.admin_language, "adm.orders.from_start")
    return None


def _toward(raw: str) -> Toward:
    try:
        return Toward(raw)
    except ValueError:
        raise StaleDialogError() from None


async def on_orders_page(update: Update, context: ShopContext, data: AdminOrdersPage) -> str | None:
    """The page next to an order of the page shown (Prev, Next, or Back from an order)."""
    which = _filter(data.filter)
    seek = Seek(data.key, _toward(data.toward))
    paged = await context.merchant.orders(which, data.page, seek)
    if not paged.items and paged.page.number > 0:  # a list paged by number ran out
        paged = await context.merchant.orders(which, 0)
    await show(update, context, context.admin_views.order_list(which, paged))
    return None


async def on_open_order(update: Update, context: ShopContext, data: AdminOpenOrder) -> str | None:
    """An order from an alert, as a new message (the alert stays in the chat)."""
    await reply(update, context, await order_screen(context, data.number))
    return None


async def on_order(update: Update, context: ShopContext, data: AdminOrder) -> str | None:
    """An order's detail in place, opened from a list's first page (or from a page of a list
    sent before the lists paged by key: Back then opens the first page)."""
    await show(update, context, await order_screen(context, data.number, _filter(data.filter)))
    return None


async def on_order_on_page(
    update: Update, context: ShopContext, data: AdminOrderOnPage
) -> str | None:
    """An order's detail in place; Back returns to the page it was opened from."""
    which = _filter(data.filter)
    screen = await order_screen(context, data.number, which, data.page, data.key)
    await show(update, context, screen)
    return None


async def _order_step(
    update: Update,
    context: ShopContext,
    number: str,
    run: Callable[[], Awaitable[object]],
    done: str,
) -> str | None:
    """Run one lifecycle step; either way the detail shows the order as it is now."""
    try:
        await run()
    except DomainError:
        await show(update, context, await order_screen(context, number))
        raise
    await show(update, context, await order_screen(context, number))
    return context.texts(context.admin_language, done, number=number)


async def on_confirm_cod(update: Update, context: ShopContext, data: AdminConfirmCod) -> str | None:
    """Accept a cash-on-delivery order for shipping."""
    _, user = chat_and_user(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: context.merchant.confirm_cod(user, data.number),
        "adm.order.confirmed_toast",
    )


async def on_deliver(update: Update, context: ShopContext, data: AdminDeliver) -> str | None:
    """Mark a shipped order delivered."""
    _, user = chat_and_user(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: context.merchant.deliver(user, data.number),
        "adm.order.delivered_toast",
    )


async def on_complete(update: Update, context: ShopContext, data: AdminComplete) -> str | None:
    """Close a delivered order."""
    _, user = chat_and_user(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: context.merchant.complete(user, data.number),
        "adm.order.completed_toast",
    )


async def _start_on_order(
    update: Update, context: ShopContext, number: str, start: Callable[[], Awaitable[Dialog]]
) -> str | None:
    chat, user = chat_and_user(update)
    before = await context.merchant.current_dialog(chat, user)
    try:
        dialog = await start()
    except DomainError as error:
        if not isinstance(error, NotFoundError):
            await show(update, context, await order_screen(context, number))
        raise
    shown = await show(update, context, await dialog_prompt(context, dialog))
    await started(update, context, dialog, shown, before)
    return None


async def on_ship(update: Update, context: ShopContext, data: AdminShip) -> str | None:
    """Start shipping: the carrier is asked first."""
    chat, user = chat_and_user(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: context.merchant.start_ship(chat, user, data.number),
    )


async def on_cancel(update: Update, context: ShopContext, data: AdminCancel) -> str | None:
    """Start cancelling an unpaid order: the reason is asked first."""
    chat, user = chat_and_user(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: context.merchant.start_cancel(chat, user, data.number),
    )


async def on_note(update: Update, context: ShopContext, data: AdminNote) -> str | None:
    """Start an internal note."""
    chat, user = chat_and_user(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: context.merchant.start_note(chat, user, data.number),
    )


async def on_message(update: Update, context: ShopContext, data: AdminMessage) -> str | None:
    """Start a message to the customer."""
    chat, user = chat_and_user(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: context.merchant.start_message(chat, user, data.number),
    )
