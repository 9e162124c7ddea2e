"""Merchant handlers, for the admins in ADMIN_USER_IDS, in the admin chat (ADMIN_CHAT_ID) or an
admin's private chat: parse the update, call one use case of `Merchant`, render the result.

Commands. In the admin group: /orders /order /products /picklist /export_products
/export_orders /help. In an admin's private chat the customer commands keep their meaning
(/orders and /help there are the admin's own, as a customer), so the merchant panel is /admin,
and /order /products /picklist /export_products /export_orders work as in the group. Every
command and button checks the sender against ADMIN_USER_IDS; the chat alone grants nothing.

Typed answers to the merchant's dialogs are read in the admin group and in private chats. In a
private chat they compete with the customer's own checkout: whichever of the two was touched
last takes the text, and anything else goes on to the customer handlers."""

from __future__ import annotations

import csv
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot import handlers as h
from bot.access import admin_only, is_admin
from bot.merchant import documents as docs
from bot.merchant.views import AdminViews
from bot.texts import Html, Texts
from bot.ui import reply, show
from bot.views import TEXT_LIMIT, Screen, button, fit, keyboard
from domain.merchant.service import Merchant, MerchantConfig, OrderFilter
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind, StaleDialogError
from domain.shared.errors import CatalogImportError, DomainError, NotFoundError
from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

GROUP_COMMANDS = (
    "orders",
    "order",
    "products",
    "picklist",
    "export_products",
    "export_orders",
    "help",
    "track",  # jobs and tracking (bot/tracking.py)
    "jobs",  # jobs and tracking (bot/tracking.py)
    "aftersales",  # after-sales (bot/after_sales.py)
)
PRIVATE_COMMANDS = ("admin", "order", "products", "picklist", "export_products", "export_orders")
PRIVATE_COMMANDS += ("track", "jobs")  # jobs and tracking (bot/tracking.py)
PRIVATE_COMMANDS += ("aftersales",)  # after-sales (bot/after_sales.py)
COMMAND_TEXTS = {
    "orders": "adm.commands.orders",
    "order": "adm.commands.order",
    "products": "adm.commands.products",
    "picklist": "adm.commands.picklist",
    "export_products": "adm.commands.export_products",
    "export_orders": "adm.commands.export_orders",
    "help": "adm.commands.help",
    "admin": "adm.commands.admin",
    "track": "track.command",  # jobs and tracking
    "jobs": "jobs.command",  # jobs and tracking
    "aftersales": "as.adm.command",  # after-sales
}
CSV_MAX_BYTES = 1_000_000


@dataclass
class AdminDeps:
    """What merchant handlers need, kept in bot_data["admin"]."""

    merchant: Merchant
    views: AdminViews
    texts: Texts
    language: Language
    admin_chat_id: int | None
    admin_user_ids: frozenset[int]
    shop_name: str
    clock: Clock


def ad(context: Context) -> AdminDeps:
    """The merchant handler dependencies."""
    return context.bot_data["admin"]  # type: ignore[no-any-return]


def _ids(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))[:200]


AdminButton = Callable[[Update, Context, Any], Awaitable[str | None]]


def admin_button(fn: AdminButton) -> Callable[[Update, Context], Awaitable[None]]:
    """An admin-only button: parse the typed data, run, answer the query exactly once (a toast,
    or an alert in the admin language when a rule refused). Non-admins are refused before."""

    async def wrapper(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        data = cb.parse(query.data)
        if data is None:
            await h.on_stale_button(update, context)
            return
        toast: str | None = None
        alert = False
        try:
            toast = await fn(update, context, data)
        except DomainError as error:
            toast, alert = ad(context).views.error(error), True
        try:
            await query.answer(_plain(toast) if toast else None, show_alert=alert)
        except BadRequest as exc:
            log.info("callback answer failed: %s", exc)

    wrapper.__name__ = wrapper.__qualname__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return admin_only(wrapper)


def _with_header(header: str, screen: Screen) -> Screen:
    return Screen(fit(f"{header}\n\n{screen.text}", TEXT_LIMIT), screen.markup)


# -- screens that need loading ------------------------------------------------------------------


async def _order_screen(
    context: Context, number: str, which: OrderFilter = OrderFilter.ALL, page: int = 0
) -> Screen:
    a = ad(context)
    return a.views.order_detail(await a.merchant.order_file(number), which, page)


async def _product_screen(context: Context, product_id: int, page: int = 0) -> Screen:
    a = ad(context)
    return a.views.product_card(await a.merchant.product_file(product_id), page)


async def _prompt(context: Context, dialog: Dialog) -> Screen:
    """The question of a dialog's current step, with what it shows loaded."""
    a = ad(context)
    views = a.views
    if dialog.kind == DialogKind.STOCK and dialog.step == "change":
        product = (await a.merchant.product_file(int(dialog.data["product_id"]))).product
        return views.prompt(dialog, product=product)
    if dialog.kind == DialogKind.ADD_PRODUCT and dialog.step == "category":
        return views.prompt(dialog, categories=await h.deps(context).shop.categories())
    if dialog.kind == DialogKind.CANCEL and dialog.step == CONFIRM:
        order = (await a.merchant.order_file(str(dialog.data["number"]))).order
        return views.prompt(dialog, order=order)
    return views.prompt(dialog)


async def _result(context: Context, result: DialogResult) -> Screen:
    """The next question, or what a finished dialog did on top of its subject's screen."""
    if not result.done:
        return await _prompt(context, result.dialog)
    a = ad(context)
    t, lang = a.texts, a.language
    dialog = result.dialog
    if dialog.kind in (DialogKind.ADD_PRODUCT, DialogKind.EDIT_PRODUCT, DialogKind.STOCK):
        product = result.product
        assert product is not None
        if dialog.kind == DialogKind.ADD_PRODUCT:
            header = t(lang, "adm.add.done", name=product.name, sku=product.sku)
        elif dialog.kind == DialogKind.EDIT_PRODUCT:
            header = t(lang, "adm.edit.done", name=product.name)
        else:
            header = t(lang, "adm.stock.done", name=product.name, stock=product.stock)
        return _with_header(header, await _product_screen(context, product.id))
    if dialog.data.get("request"):  # the ship dialog of an after-sales request
        from bot.after_sales.handlers import ship_result

        return await ship_result(context, result)
    number = str(dialog.data["number"])
    if dialog.kind == DialogKind.SHIP and result.shipment is not None:
        header = t(
            lang,
            "adm.ship.done",
            number=number,
            carrier=result.shipment.carrier_name,
            tracking=result.shipment.tracking_number,
        )
    elif dialog.kind == DialogKind.CANCEL:
        header = t(lang, "adm.cancel.done", number=number)
    elif dialog.kind == DialogKind.NOTE:
        header = t(lang, "adm.note.done", number=number)
    else:
        header = t(lang, "adm.message.done", number=number)
    return _with_header(header, await _order_screen(context, number))


# -- commands -----------------------------------------------------------------------------------


async def panel_command(update: Update, context: Context) -> None:
    """The merchant's panel: what to look at, what to export."""
    await reply(update, context, ad(context).views.panel())


async def orders_command(update: Update, context: Context) -> None:
    """Orders to ship (or `/orders all`, `/orders pend`, ...)."""
    a = ad(context)
    wanted = (context.args or ["ship"])[0].lower()
    which = next((f for f in OrderFilter if f.value == wanted), OrderFilter.TO_SHIP)
    await reply(update, context, a.views.order_list(which, await a.merchant.orders(which, 0)))


async def order_command(update: Update, context: Context) -> None:
    """One order: /order 7KQ2-M9XD."""
    a = ad(context)
    number = " ".join(context.args or []).strip()
    if not number:
        await reply(update, context, Screen(a.texts(a.language, "adm.orders.usage")))
        return
    try:
        screen = await _order_screen(context, number)
    except NotFoundError as error:
        await reply(update, context, Screen(a.views.error(error)))
        return
    await reply(update, context, screen)


async def products_command(update: Update, context: Context) -> None:
    """Every product, to browse and edit."""
    a = ad(context)
    await reply(update, context, a.views.product_list(await a.merchant.products(0)))


async def picklist_command(update: Update, context: Context) -> None:
    """The pick list of every order to ship, as a text file."""
    await _send_pick_list(update, context)


async def export_products_command(update: Update, context: Context) -> None:
    """Every product as a CSV file in the import format."""
    await _send_export(update, context, "products")


async def export_orders_command(update: Update, context: Context) -> None:
    """The orders as a CSV file."""
    await _send_export(update, context, "orders")


# -- documents ----------------------------------------------------------------------------------


async def _send_document(
    update: Update, context: Context, data: bytes, filename: str, caption: str
) -> None:
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id, document=data, filename=filename, caption=caption
    )


def _stamp(context: Context) -> str:
    return ad(context).clock.now().strftime("%Y%m%d-%H%M")


async def _send_pick_list(update: Update, context: Context) -> str | None:
    a = ad(context)
    t, lang = a.texts, a.language
    orders = await a.merchant.pick_list()
    if not orders:
        text = t(lang, "adm.picklist.none")
        if update.callback_query is None:
            await reply(update, context, Screen(text))
        return text
    data = docs.pick_list(a.texts, lang, a.shop_name, orders, a.clock.now())
    await _send_document(
        update,
        context,
        data,
        f"pick-list-{_stamp(context)}.txt",
        t(lang, "adm.picklist.caption", count=len(orders)),
    )
    return None


async def _send_export(update: Update, context: Context, what: str) -> None:
    a = ad(context)
    t, lang = a.texts, a.language
    if what == "products":
        products = await a.merchant.export_products()
        data = docs.products_csv(products)
        caption = t(lang, "adm.export.products", count=len(products))
    else:
        orders = await a.merchant.export_orders()
        data = docs.orders_csv(orders)
        caption = t(lang, "adm.export.orders", count=len(orders))
    await _send_document(update, context, data, f"{what}-{_stamp(context)}.csv", caption)


# -- buttons: orders ------------------------------------------------------------------------------


async def on_menu(update: Update, context: Context, data: cb.AdminMenu) -> str | None:
    """The merchant's panel."""
    await show(update, context, ad(context).views.panel())
    return None


def _filter(raw: str) -> OrderFilter:
    try:
        return OrderFilter(raw)
    except ValueError:
        raise StaleDialogError() from None


async def on_orders(update: Update, context: Context, data: cb.AdminOrders) -> str | None:
    """A page of orders under a filter."""
    a = ad(context)
    which = _filter(data.filter)
    paged = await a.merchant.orders(which, data.page)
    if not paged.items and data.page > 0:
        paged = await a.merchant.orders(which, 0)
    await show(update, context, a.views.order_list(which, paged))
    return None


async def on_open_order(update: Update, context: Context, data: cb.AdminOpenOrder) -> str | None:
    """An order from an alert, as a new message (the alert stays in the chat)."""
    await reply(update, context, await _order_screen(context, data.number))
    return None


async def on_order(update: Update, context: Context, data: cb.AdminOrder) -> str | None:
    """An order's detail in place."""
    await show(
        update, context, await _order_screen(context, data.number, _filter(data.filter), data.page)
    )
    return None


async def _order_step(
    update: Update, context: Context, number: str, run: Callable[[], Awaitable[object]], done: str
) -> str | None:
    """Run one lifecycle step; either way the detail shows the order as it is now."""
    a = ad(context)
    try:
        await run()
    except DomainError:
        await show(update, context, await _order_screen(context, number))
        raise
    await show(update, context, await _order_screen(context, number))
    return a.texts(a.language, done, number=number)


async def on_confirm_cod(update: Update, context: Context, data: cb.AdminConfirmCod) -> str | None:
    """Accept a cash-on-delivery order for shipping."""
    _, user = _ids(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.confirm_cod(user, data.number),
        "adm.order.confirmed_toast",
    )


async def on_deliver(update: Update, context: Context, data: cb.AdminDeliver) -> str | None:
    """Mark a shipped order delivered."""
    _, user = _ids(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.deliver(user, data.number),
        "adm.order.delivered_toast",
    )


async def on_complete(update: Update, context: Context, data: cb.AdminComplete) -> str | None:
    """Close a delivered order."""
    _, user = _ids(update)
    return await _order_step(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.complete(user, data.number),
        "adm.order.completed_toast",
    )


async def _start_on_order(
    update: Update, context: Context, number: str, start: Callable[[], Awaitable[Dialog]]
) -> str | None:
    try:
        dialog = await start()
    except DomainError as error:
        if not isinstance(error, NotFoundError):
            await show(update, context, await _order_screen(context, number))
        raise
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_ship(update: Update, context: Context, data: cb.AdminShip) -> str | None:
    """Start shipping: the carrier is asked first."""
    chat, user = _ids(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.start_ship(chat, user, data.number),
    )


async def on_cancel(update: Update, context: Context, data: cb.AdminCancel) -> str | None:
    """Start cancelling an unpaid order: the reason is asked first."""
    chat, user = _ids(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.start_cancel(chat, user, data.number),
    )


async def on_note(update: Update, context: Context, data: cb.AdminNote) -> str | None:
    """Start an internal note."""
    chat, user = _ids(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.start_note(chat, user, data.number),
    )


async def on_message(update: Update, context: Context, data: cb.AdminMessage) -> str | None:
    """Start a message to the customer."""
    chat, user = _ids(update)
    return await _start_on_order(
        update,
        context,
        data.number,
        lambda: ad(context).merchant.start_message(chat, user, data.number),
    )


async def on_slip(update: Update, context: Context, data: cb.AdminSlip) -> str | None:
    """The packing slip of one order, as a text file."""
    a = ad(context)
    [order] = await a.merchant.pick_list(data.number)
    payload = docs.packing_slip(a.texts, a.language, a.shop_name, order, a.clock.now())
    caption = a.texts(a.language, "adm.picklist.slip_caption", number=order.number)
    await _send_document(update, context, payload, f"packing-slip-{order.number}.txt", caption)
    return None


async def on_pick_list(update: Update, context: Context, data: cb.AdminPickList) -> str | None:
    """The pick list of every order to ship, as a text file."""
    return await _send_pick_list(update, context)


async def on_export(update: Update, context: Context, data: cb.AdminExport) -> str | None:
    """A CSV export of products or orders."""
    if data.what not in ("products", "orders"):
        raise StaleDialogError()
    await _send_export(update, context, data.what)
    return None


# -- buttons: dialogs ---------------------------------------------------------------------------


async def on_carrier(update: Update, context: Context, data: cb.AdminCarrier) -> str | None:
    """The carrier: the tracking number is asked next."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.choose_carrier(chat, user, data.token, data.code)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_skip(update: Update, context: Context, data: cb.AdminSkip) -> str | None:
    """Leave an optional step empty and go on."""
    chat, user = _ids(update)
    result = await ad(context).merchant.skip(chat, user, data.token)
    await show(update, context, await _result(context, result))
    return None


async def on_dialog_cancel(
    update: Update, context: Context, data: cb.AdminDialogCancel
) -> str | None:
    """Leave a dialog: nothing changes, and its subject shows again."""
    a = ad(context)
    chat, user = _ids(update)
    dialog = await a.merchant.cancel_dialog(chat, user, data.token)
    if dialog.data.get("request"):  # the ship dialog of an after-sales request
        from bot.after_sales.handlers import request_screen

        screen = await request_screen(context, int(dialog.data["request"]))
    elif "number" in dialog.data:
        screen = await _order_screen(context, str(dialog.data["number"]))
    elif "product_id" in dialog.data:
        screen = await _product_screen(context, int(dialog.data["product_id"]))
    else:
        screen = a.views.product_list(await a.merchant.products(0))
    await show(update, context, screen)
    return a.texts(a.language, "adm.dialog.cancelled")


async def on_confirm(update: Update, context: Context, data: cb.AdminConfirm) -> str | None:
    """Carry out the dialog: ship, cancel, or add the product."""
    a = ad(context)
    chat, user = _ids(update)
    dialog = await a.merchant.current_dialog(chat, user)
    try:
        result = await a.merchant.confirm(chat, user, data.token)
    except DomainError as error:
        if dialog is not None and dialog.token == data.token and "number" in dialog.data:
            if not isinstance(error, StaleDialogError | NotFoundError):
                await show(
                    update, context, await _order_screen(context, str(dialog.data["number"]))
                )
        raise
    await show(update, context, await _result(context, result))
    return None


# -- buttons: products --------------------------------------------------------------------------


async def on_products(update: Update, context: Context, data: cb.AdminProducts) -> str | None:
    """A page of every product."""
    a = ad(context)
    paged = await a.merchant.products(data.page)
    if not paged.items and data.page > 0:
        paged = await a.merchant.products(0)
    await show(update, context, a.views.product_list(paged))
    return None


async def on_product(update: Update, context: Context, data: cb.AdminProduct) -> str | None:
    """A product's card in place."""
    await show(update, context, await _product_screen(context, data.product_id, data.page))
    return None


async def on_open_product(
    update: Update, context: Context, data: cb.AdminOpenProduct
) -> str | None:
    """A product from a low-stock alert, as a new message."""
    await reply(update, context, await _product_screen(context, data.product_id))
    return None


async def on_edit(update: Update, context: Context, data: cb.AdminEdit) -> str | None:
    """Start editing one field of a product."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_edit(chat, user, data.product_id, data.field)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_stock(update: Update, context: Context, data: cb.AdminStock) -> str | None:
    """Start a stock change."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_stock(chat, user, data.product_id)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_active(update: Update, context: Context, data: cb.AdminActive) -> str | None:
    """Take a product off sale, or put it back."""
    a = ad(context)
    _, user = _ids(update)
    if data.active not in (0, 1):
        raise StaleDialogError()
    product = await a.merchant.set_active(user, data.product_id, bool(data.active))
    await show(update, context, await _product_screen(context, product.id))
    key = "adm.product.reactivated" if product.active else "adm.product.deactivated"
    return a.texts(a.language, key, name=product.name)


async def on_add_product(update: Update, context: Context, data: cb.AdminAddProduct) -> str | None:
    """Start adding a product."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_add_product(chat, user)
    await show(update, context, await _prompt(context, dialog))
    return None


# -- typed answers, photos and files ------------------------------------------------------------


async def _answer_dialog(update: Update, context: Context, dialog: Dialog) -> None:
    """Typed text for an admin dialog: the next question, the result, or the error and the
    same question again."""
    a = ad(context)
    chat, user = _ids(update)
    assert update.message is not None
    text = update.message.text or ""
    if len(text) > h.MAX_TEXT:
        await reply(
            update, context, Screen(a.texts(a.language, "error.text_too_long", max=h.MAX_TEXT))
        )
        return
    try:
        result = await a.merchant.answer(chat, user, text)
    except DomainError as error:
        current = await a.merchant.current_dialog(chat, user)
        if current is None:
            await reply(update, context, Screen(a.views.error(error)))
            return
        await reply(
            update, context, _with_header(a.views.error(error), await _prompt(context, current))
        )
        return
    if result is not None:
        await reply(update, context, await _result(context, result))


async def _answer_reply(update: Update, context: Context) -> None:
    """A customer's reply to the shop: relayed to the admin chat."""
    d = h.deps(context)
    chat, user = _ids(update)
    assert update.message is not None
    language = h.lang(context)
    try:
        result = await ad(context).merchant.answer(chat, user, update.message.text or "")
    except DomainError as error:
        await reply(update, context, Screen(d.views.error(language, error)))
        return
    if result is not None:
        await reply(update, context, Screen(d.texts(language, "adm.relay.sent")))


async def on_private_text(update: Update, context: Context) -> None:
    """Typed text in a private chat: a dialog's answer if one waits for it (and is newer than
    the customer's checkout), otherwise the customer handlers take it."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    mine = dialog is not None and (dialog.kind == DialogKind.REPLY or is_admin(update, context))
    if dialog is not None and mine:
        view = await h.deps(context).shop.current_checkout(user)
        checkout_at = view.checkout.updated_at if view is not None else None
        if checkout_at is None or dialog.updated_at is None or checkout_at <= dialog.updated_at:
            if dialog.kind == DialogKind.REPLY:
                await _answer_reply(update, context)
            else:
                await _answer_dialog(update, context, dialog)
            return
    await h.on_text(update, context)


async def on_group_text(update: Update, context: Context) -> None:
    """Typed text in the admin group: an admin's answer to their dialog; chatter is ignored."""
    if not is_admin(update, context):
        return
    chat, user = _ids(update)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    if dialog is not None and dialog.kind != DialogKind.REPLY:
        await _answer_dialog(update, context, dialog)


async def on_photo(update: Update, context: Context) -> None:
    """A photo: the product photo when the add-product dialog asks for one."""
    chat, user = _ids(update)
    message = update.message
    assert message is not None and update.effective_chat is not None
    a = ad(context)
    dialog = await a.merchant.current_dialog(chat, user) if is_admin(update, context) else None
    if dialog is None or dialog.kind == DialogKind.REPLY:
        if update.effective_chat.type == "private":
            await h.on_other_message(update, context)
        return
    try:
        result = await a.merchant.give_photo(chat, user, message.photo[-1].file_id)
    except DomainError as error:
        await reply(
            update, context, _with_header(a.views.error(error), await _prompt(context, dialog))
        )
        return
    if result is not None:
        await reply(update, context, await _result(context, result))


async def on_csv(update: Update, context: Context) -> None:
    """A CSV document from an admin: a catalog import, all rows or none."""
    a = ad(context)
    t, lang = a.texts, a.language
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "catalog-upload.csv"
    _, user = _ids(update)
    if (document.file_size or 0) > CSV_MAX_BYTES:
        await reply(
            update,
            context,
            Screen(t(lang, "adm.import.too_big", file=name, max=CSV_MAX_BYTES // 1000)),
        )
        return
    raw = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    if len(raw) > CSV_MAX_BYTES:
        await reply(
            update,
            context,
            Screen(t(lang, "adm.import.too_big", file=name, max=CSV_MAX_BYTES // 1000)),
        )
        return
    from bot.cli import read_catalog_csv

    try:
        drafts = read_catalog_csv(raw, h.deps(context).shop.config.currency)
        created, updated = await a.merchant.import_catalog(user, drafts, name)
    except CatalogImportError as error:
        lines = [
            t(lang, "adm.import.error_line", line=line, message=problem)
            for line, problem in error.params["errors"][:30]
        ]
        more = len(error.params["errors"]) - len(lines)
        if more > 0:
            lines.append(t(lang, "adm.import.more_errors", n=more))
        text = t(lang, "adm.import.errors", file=name, errors=Html("\n".join(lines)))
        await reply(update, context, Screen(fit(text, TEXT_LIMIT)))
        return
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        log.info("unreadable catalog %s: %s", name, exc)
        await reply(update, context, Screen(t(lang, "adm.import.unreadable", file=name)))
        return
    await reply(
        update,
        context,
        Screen(
            t(
                lang,
                "adm.import.done",
                file=name,
                count=len(drafts),
                created=created,
                updated=updated,
            ),
            keyboard([[button(t(lang, "adm.menu.products"), cb.AdminProducts(0))]]),
        ),
    )


# -- the customer's side: replying to the shop ----------------------------------------------------


@h.button_handler
async def on_reply_to_shop(update: Update, context: Context, data: cb.ReplyToShop) -> str | None:
    """The customer starts a reply to the shop's message about their order."""
    d = h.deps(context)
    customer = h.me(context)
    dialog = await ad(context).merchant.start_reply(customer.id, data.number)
    language = h.lang(context)
    await reply(
        update,
        context,
        Screen(
            d.texts(language, "adm.relay.ask", number=data.number),
            keyboard(
                [
                    [
                        button(
                            d.texts(language, "adm.relay.cancel"),
                            cb.ReplyCancel(cb.Token(dialog.token)),
                        )
                    ]
                ]
            ),
        ),
    )
    return None


@h.button_handler
async def on_reply_cancel(update: Update, context: Context, data: cb.ReplyCancel) -> str | None:
    """The customer gives up their reply."""
    d = h.deps(context)
    customer = h.me(context)
    await ad(context).merchant.cancel_dialog(customer.id, customer.id, data.token)
    await show(update, context, Screen(d.texts(h.lang(context), "adm.relay.cancelled")))
    return None


# -- wiring -------------------------------------------------------------------------------------

ADMIN_BUTTONS: list[tuple[type[cb.Callback], AdminButton]] = [
    (cb.AdminMenu, on_menu),
    (cb.AdminOrders, on_orders),
    (cb.AdminOpenOrder, on_open_order),
    (cb.AdminOrder, on_order),
    (cb.AdminConfirmCod, on_confirm_cod),
    (cb.AdminShip, on_ship),
    (cb.AdminDeliver, on_deliver),
    (cb.AdminComplete, on_complete),
    (cb.AdminCancel, on_cancel),
    (cb.AdminNote, on_note),
    (cb.AdminMessage, on_message),
    (cb.AdminSlip, on_slip),
    (cb.AdminPickList, on_pick_list),
    (cb.AdminCarrier, on_carrier),
    (cb.AdminSkip, on_skip),
    (cb.AdminDialogCancel, on_dialog_cancel),
    (cb.AdminConfirm, on_confirm),
    (cb.AdminProducts, on_products),
    (cb.AdminProduct, on_product),
    (cb.AdminOpenProduct, on_open_product),
    (cb.AdminEdit, on_edit),
    (cb.AdminStock, on_stock),
    (cb.AdminActive, on_active),
    (cb.AdminAddProduct, on_add_product),
    (cb.AdminExport, on_export),
]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Build the merchant's use cases from the settings and attach every handler."""
    settings = app.bot_data["settings"]
    clock: Clock = app.bot_data["clock"]
    texts: Texts = app.bot_data["texts"]
    language = Language(settings.admin_language)
    carriers = settings.carrier_list
    merchant = Merchant(
        app.bot_data["db"],
        clock,
        MerchantConfig(
            currency=settings.currency,
            admin_chat_id=settings.admin_chat_id,
            carriers=carriers,
            page_size=settings.page_size,
        ),
    )
    app.bot_data["admin"] = AdminDeps(
        merchant=merchant,
        views=AdminViews(texts, language, settings.shop_name, carriers, settings.currency),
        texts=texts,
        language=language,
        admin_chat_id=settings.admin_chat_id,
        admin_user_ids=frozenset(settings.admin_user_ids),
        shop_name=settings.shop_name,
        clock=clock,
    )
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    group = filters.Chat(chat_id=chat_ids) & ~private
    anywhere = group | private
    group_commands: dict[str, Callable[[Update, Context], Awaitable[None]]] = {
        "orders": orders_command,
        "help": panel_command,
    }
    commands: dict[str, Callable[[Update, Context], Awaitable[None]]] = {
        "admin": panel_command,
        "order": order_command,
        "products": products_command,
        "picklist": picklist_command,
        "export_products": export_products_command,
        "export_orders": export_orders_command,
    }
    for name, callback in group_commands.items():
        app.add_handler(CommandHandler(name, admin_only(callback), filters=group))
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, admin_only(callback), filters=anywhere))
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
    app.add_handler(CallbackQueryHandler(on_reply_to_shop, pattern=cb.ReplyToShop.matches))
    app.add_handler(CallbackQueryHandler(on_reply_cancel, pattern=cb.ReplyCancel.matches))
    csv_file = filters.Document.FileExtension("csv") | filters.Document.MimeType("text/csv")
    new = ~filters.UpdateType.EDITED  # an edited message is not a new answer
    app.add_handler(MessageHandler(anywhere & csv_file & new, admin_only(on_csv)))
    app.add_handler(MessageHandler(anywhere & filters.PHOTO & new, on_photo))
    text = filters.TEXT & ~filters.COMMAND & new
    app.add_handler(MessageHandler(private & text, on_private_text))
    app.add_handler(MessageHandler(group & text, on_group_text))


async def register_admin_commands(app: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands for the admin chat and each admin's private chat only (chat scopes), in
    English and Chinese; customers never see these commands."""
    from bot.app import CUSTOMER_COMMANDS

    a: AdminDeps = app.bot_data["admin"]
    if not a.admin_user_ids:
        return  # no admins, no admin commands
    texts = a.texts
    for language in Language:
        code = None if language == Language.EN else language.value
        group = [BotCommand(n, texts(language, COMMAND_TEXTS[n])) for n in GROUP_COMMANDS]
        private = [BotCommand(n, texts(language, f"commands.{n}")) for n in CUSTOMER_COMMANDS]
        private += [BotCommand(n, texts(language, COMMAND_TEXTS[n])) for n in PRIVATE_COMMANDS]
        targets: list[tuple[int, list[BotCommand]]] = []
        if a.admin_chat_id is not None and a.admin_chat_id < 0:  # a group; users are > 0
            targets.append((a.admin_chat_id, group))
        targets += [(admin_id, private) for admin_id in sorted(a.admin_user_ids)]
        for chat_id, commands in targets:
            try:
                await app.bot.set_my_commands(
                    commands, scope=BotCommandScopeChat(chat_id), language_code=code
                )
            except TelegramError as exc:  # the bot is not in that chat, or the admin never wrote
                log.warning("could not set admin commands for chat %s: %s", chat_id, exc)
