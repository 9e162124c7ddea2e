"""What every merchant handler shares: admin buttons, and the order, product and dialog
screens that need loading."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.access import admin_only
from bot.callback_data import parse
from bot.merchant.views import AdminViews
from bot.screens import TEXT_LIMIT, Screen, fit
from bot.shared.handlers import (
    Context,
    deps,
    on_stale_button,
)
from bot.texts import Texts
from domain.merchant.service import Merchant, OrderFilter
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind
from domain.shared.errors import DomainError
from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)


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
        data = parse(query.data)
        if data is None:
            await on_stale_button(update, context)
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
        return views.prompt(dialog, categories=await deps(context).shop.categories())
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
        from bot.after_sales.admin import ship_result

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
