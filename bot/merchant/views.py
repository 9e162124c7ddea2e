"""Merchant screens: pure functions from the merchant's domain objects to text and keyboards,
always in the admin chat's language. This module holds what they share and the panel; orders,
products and dialogs have their own modules (AdminViews in dialog_views.py puts them together)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.after_sales.callbacks import AsAdmQueue
from bot.merchant.callbacks import (
    AdminExport,
    AdminOrders,
    AdminPickList,
    AdminProducts,
)
from bot.screens import Screen, button, keyboard
from bot.texts import Html, Texts
from domain.merchant.rules import AdminAction, OrderFilter
from domain.orders.model import Order
from domain.shared.customers import Language
from domain.shared.errors import DomainError
from domain.shipping.carriers import Carrier

EVENTS_SHOWN = 15
NOTE_SHOWN = 200

FILTER_LABELS = {
    OrderFilter.TO_SHIP: "adm.filter.ship",
    OrderFilter.PENDING: "adm.filter.pend",
    OrderFilter.SHIPPED: "adm.filter.sent",
    OrderFilter.AFTER_SALES: "adm.filter.after",
    OrderFilter.ALL: "adm.filter.all",
}
ACTION_LABELS = {
    AdminAction.CONFIRM_COD: "adm.order.cod",
    AdminAction.SHIP: "adm.order.ship",
    AdminAction.DELIVER: "adm.order.deliver",
    AdminAction.COMPLETE: "adm.order.complete",
    AdminAction.CANCEL: "adm.order.cancel",
    AdminAction.REFUND: "adm.order.refund",
}
INTERNAL_EVENTS = {
    "note": "adm.event.note",
    "message_out": "adm.event.message_out",
    "message_in": "adm.event.message_in",
}
EDIT_PROMPTS = {
    "name": "adm.edit.name",
    "price": "adm.edit.price",
    "desc": "adm.edit.desc",
    "thresh": "adm.edit.thresh",
}
# Preset reasons of a stock change (domain.shared.dialogs.CHOICES), by their button's index;
# the chosen one is logged in the admin's language, as if typed.
STOCK_REASONS = (
    "adm.stock.reason_received",
    "adm.stock.reason_counted",
    "adm.stock.reason_damaged",
    "adm.stock.reason_lost",
    "adm.stock.reason_sample",
)
ADD_PROMPTS = {
    "name": "adm.add.name",
    "price": "adm.add.price",
    "stock": "adm.add.stock",
    "description": "adm.add.description",
    "photo": "adm.add.photo",
}


class MerchantViews:
    """The merchant's screens every part builds on: texts in the admin language, errors, the
    panel."""

    def __init__(
        self,
        texts: Texts,
        language: Language,
        shop_name: str,
        carriers: Sequence[Carrier],
        currency: str,
    ) -> None:
        self.texts = texts
        self.lang = language
        self.shop_name = shop_name
        self.currency = currency
        self.carriers = {c.code: c for c in carriers}

    def carrier_name(self, code: object, typed: object = None) -> str:
        """A carrier's name in the admin's language: the one the admin typed for "other", else
        the configured one (a built-in carrier's in the catalog, bot/texts.py)."""
        if typed:
            return self.texts.carrier(self.lang, str(typed))
        carrier = self.carriers.get(str(code))
        return self.texts.carrier(self.lang, carrier.name if carrier else str(code))

    def t(self, key: str, **params: object) -> str:
        """A text in the admin language."""
        return self.texts(self.lang, key, **params)

    def error(self, error: DomainError) -> str:
        """A domain error as the merchant reads it."""
        params = dict(error.params)
        status = params.get("status")
        if status is not None and self.texts.has(f"status.{status}"):
            params["status"] = self.texts(self.lang, f"status.{status}")
        params.setdefault("name", "")
        try:
            return self.texts(self.lang, error.key, **params)
        except (KeyError, IndexError):
            return self.texts(self.lang, "error.generic")

    def status(self, order: Order) -> str:
        return self.texts(self.lang, f"status.{order.status.value}")

    # -- menu -------------------------------------------------------------------------------

    def panel_keyboard(self) -> list[list[InlineKeyboardButton]]:
        t, lang = self.texts, self.lang
        return [
            [
                button(t(lang, "adm.filter.ship"), AdminOrders(OrderFilter.TO_SHIP.value, 0)),
                button(t(lang, "adm.filter.pend"), AdminOrders(OrderFilter.PENDING.value, 0)),
            ],
            [
                button(t(lang, "adm.filter.sent"), AdminOrders(OrderFilter.SHIPPED.value, 0)),
                button(t(lang, "adm.filter.all"), AdminOrders(OrderFilter.ALL.value, 0)),
            ],
            [
                button(t(lang, "adm.menu.products"), AdminProducts(0)),
                button(t(lang, "adm.menu.pick_list"), AdminPickList()),
            ],
            [
                button(t(lang, "adm.menu.export_orders"), AdminExport("orders")),
                button(t(lang, "adm.menu.export_products"), AdminExport("products")),
            ],
            [button(t(lang, "as.adm.order_button"), AsAdmQueue("open", 0))],  # after-sales
        ]

    def panel(self, commands: Sequence[tuple[str, str]], private: bool) -> Screen:
        """The panel: what to look at, then every admin command of this chat (the admin group's,
        or an admin's private chat's), described as in Telegram's command menu."""
        t, lang = self.texts, self.lang
        lines = [
            t(lang, "adm.help_private" if private else "adm.help", shop=self.shop_name),
            t(lang, "help.commands"),
        ]
        lines += [
            t(lang, "help.command", command=f"/{name}", what=Html(t(lang, key)))
            for name, key in commands
        ]
        return Screen("\n".join(lines), keyboard(self.panel_keyboard()))
