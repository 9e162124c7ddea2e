"""What every merchant handler shares: admin buttons, and the order, product and dialog
screens that need loading."""

from __future__ import annotations

from bot.access import admin_only
from bot.context import Handler, ShopContext
from bot.screens import Screen, with_header
from bot.shared.handlers import ButtonHandler, button_handler
from domain.merchant.rules import OrderFilter
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind
from domain.shared.errors import DomainError
from domain.shipping.carriers import DialogResult


def explain_to_admin(context: ShopContext, error: DomainError) -> str:
    """A rule's refusal in the admin chat's language."""
    return context.admin_views.error(error)


def admin_button(fn: ButtonHandler) -> Handler:
    """An admin-only button: parse the typed data, run, answer the query exactly once (a toast,
    or an alert in the admin language when a rule refused). Non-admins are refused before."""
    return admin_only(button_handler(fn, explain_to_admin))


# -- screens that need loading ------------------------------------------------------------------


async def order_screen(
    context: ShopContext,
    number: str,
    which: OrderFilter = OrderFilter.ALL,
    page: int = 0,
    key: int | None = None,
) -> Screen:
    file = await context.merchant.order_file(number)
    return context.admin_views.order_detail(file, which, page, key)


async def product_screen(context: ShopContext, product_id: int, page: int = 0) -> Screen:
    return context.admin_views.product_card(await context.merchant.product_file(product_id), page)


async def dialog_prompt(context: ShopContext, dialog: Dialog) -> Screen:
    """The question of a dialog's current step, with what it shows loaded."""
    views = context.admin_views
    if dialog.kind == DialogKind.STOCK and dialog.step == "change":
        product = (await context.merchant.product_file(int(dialog.data["product_id"]))).product
        return views.prompt(dialog, product=product)
    if dialog.kind == DialogKind.ADD_PRODUCT and dialog.step == "category":
        return views.prompt(dialog, categories=await context.shop.categories())
    if dialog.kind == DialogKind.CANCEL and dialog.step == CONFIRM:
        order = (await context.merchant.order_file(str(dialog.data["number"]))).order
        return views.prompt(dialog, order=order)
    return views.prompt(dialog)


async def dialog_outcome(context: ShopContext, result: DialogResult) -> tuple[str | None, Screen]:
    """What a finished dialog did (one line, when it has one) and its subject's screen now."""
    t, lang = context.texts, context.admin_language
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
        return header, await product_screen(context, product.id)
    shipped = context.services.request_shipped
    if dialog.data.get("request") and shipped is not None:  # the ship dialog of a request
        return None, await shipped(context, result)
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
    return header, await order_screen(context, number)


async def dialog_result(context: ShopContext, result: DialogResult) -> Screen:
    """The next question, or what a finished dialog did on top of its subject's screen."""
    if not result.done:
        return await dialog_prompt(context, result.dialog)
    header, screen = await dialog_outcome(context, result)
    return with_header(header, screen) if header else screen


async def subject_screen(context: ShopContext, dialog: Dialog) -> Screen:
    """The screen of what the dialog is about: a request, an order, a product, or the list."""
    request_screen = context.services.request_screen
    if dialog.data.get("request") and request_screen is not None:  # an after-sales request's
        return await request_screen(context, int(dialog.data["request"]))
    if "number" in dialog.data:
        return await order_screen(context, str(dialog.data["number"]))
    if "product_id" in dialog.data:
        return await product_screen(context, int(dialog.data["product_id"]))
    return context.admin_views.product_list(await context.merchant.products(0))
