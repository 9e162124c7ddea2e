"""Documents for the merchant: packing slips, pick lists, CSV exports."""

from __future__ import annotations

from telegram import Update

from bot.context import ShopContext
from bot.merchant import documents as docs
from bot.merchant.callbacks import (
    AdminExport,
    AdminPickList,
    AdminSlip,
)
from bot.screens import Screen
from bot.ui import reply
from domain.shared.dialogs import StaleDialogError


async def picklist_command(update: Update, context: ShopContext) -> None:
    """The pick list of every order to ship, as a text file."""
    await _send_pick_list(update, context)


async def export_products_command(update: Update, context: ShopContext) -> None:
    """Every product as a CSV file in the import format."""
    await _send_export(update, context, "products")


async def export_orders_command(update: Update, context: ShopContext) -> None:
    """The orders as a CSV file."""
    await _send_export(update, context, "orders")


# -- documents ----------------------------------------------------------------------------------


async def _send_document(
    update: Update, context: ShopContext, data: bytes, filename: str, caption: str
) -> None:
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id, document=data, filename=filename, caption=caption
    )


def _stamp(context: ShopContext) -> str:
    return context.services.clock.now().strftime("%Y%m%d-%H%M")


async def _send_pick_list(update: Update, context: ShopContext) -> str | None:
    t, lang = context.texts, context.admin_language
    orders = await context.merchant.pick_list()
    if not orders:
        text = t(lang, "adm.picklist.none")
        if update.callback_query is None:
            await reply(update, context, Screen(text))
        return text
    data = docs.pick_list(
        context.texts, lang, context.services.shop_name, orders, context.services.clock.now()
    )
    await _send_document(
        update,
        context,
        data,
        f"pick-list-{_stamp(context)}.txt",
        t(lang, "adm.picklist.caption", count=len(orders)),
    )
    return None


def _admin_id(update: Update) -> int:
    user = update.effective_user
    return user.id if user else 0


async def _send_export(update: Update, context: ShopContext, what: str) -> None:
    t, lang = context.texts, context.admin_language
    if what == "products":
        products = await context.merchant.export_products(_admin_id(update))
        data = docs.products_csv(products)
        caption = t(lang, "adm.export.products", count=len(products))
    else:
        orders = await context.merchant.export_orders(_admin_id(update))
        data = docs.orders_csv(orders)
        caption = t(lang, "adm.export.orders", count=len(orders))
    await _send_document(update, context, data, f"{what}-{_stamp(context)}.csv", caption)


async def on_slip(update: Update, context: ShopContext, data: AdminSlip) -> str | None:
    """The packing slip of one order, as a text file."""
    [order] = await context.merchant.pick_list(data.number)
    payload = docs.packing_slip(
        context.texts,
        context.admin_language,
        context.services.shop_name,
        order,
        context.services.clock.now(),
    )
    caption = context.texts(
        context.admin_language, "adm.picklist.slip_caption", number=order.number
    )
    await _send_document(update, context, payload, f"packing-slip-{order.number}.txt", caption)
    return None


async def on_pick_list(update: Update, context: ShopContext, data: AdminPickList) -> str | None:
    """The pick list of every order to ship, as a text file."""
    return await _send_pick_list(update, context)


async def on_export(update: Update, context: ShopContext, data: AdminExport) -> str | None:
    """A CSV export of products or orders."""
    if data.what not in ("products", "orders"):
        raise StaleDialogError()
    await _send_export(update, context, data.what)
    return None
