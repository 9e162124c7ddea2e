"""Merchant screens: pure functions from the merchant's domain objects to text and keyboards,
always in the admin chat's language."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.after_sales.callbacks import AsAdmOrder, AsAdmQueue
from bot.callback_data import Callback, OrderNo, Token
from bot.merchant.callbacks import (
    AdminActive,
    AdminAddProduct,
    AdminCancel,
    AdminCarrier,
    AdminComplete,
    AdminConfirm,
    AdminConfirmCod,
    AdminDeliver,
    AdminDialogCancel,
    AdminEdit,
    AdminExport,
    AdminMenu,
    AdminMessage,
    AdminNote,
    AdminOrder,
    AdminOrders,
    AdminPickList,
    AdminProduct,
    AdminProducts,
    AdminShip,
    AdminSkip,
    AdminSlip,
    AdminStock,
)
from bot.orders.views import order_footer
from bot.payments.callbacks import RefundOrder
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard, short
from bot.shared.callbacks import Noop
from bot.texts import Texts
from domain.catalog.model import Category, Product
from domain.merchant.rules import AdminAction, OrderFile, OrderFilter, ProductFile
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent
from domain.shared.customers import Customer, Language
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind
from domain.shared.errors import DomainError
from domain.shared.money import Money
from domain.shared.paging import Paged
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
ADD_PROMPTS = {
    "name": "adm.add.name",
    "price": "adm.add.price",
    "stock": "adm.add.stock",
    "description": "adm.add.description",
    "photo": "adm.add.photo",
}


def who(customer: Customer | None, fallback: int) -> str:
    """A customer as the merchant knows them: name and @username."""
    if customer is None:
        return str(fallback)
    if customer.username:
        return f"{customer.first_name} (@{customer.username})"
    return customer.first_name


class AdminViews:
    """All merchant screens, in one language."""

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

    def t(self, key: str, **params: object) -> str:
        """A text in the admin language."""
        return self.texts(self.lang, key, **params)

    @staticmethod
    def plain(text: str) -> str:
        """Button labels are not HTML."""
        return html.unescape(text)

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

    def panel(self) -> Screen:
        return Screen(
            self.texts(self.lang, "adm.help", shop=self.shop_name), keyboard(self.panel_keyboard())
        )

    # -- orders -----------------------------------------------------------------------------

    def _filters_row(self, current: OrderFilter) -> list[list[InlineKeyboardButton]]:
        def label(which: OrderFilter) -> str:
            text = self.plain(self.texts(self.lang, FILTER_LABELS[which]))
            return f"• {text}" if which == current else text

        order = list(OrderFilter)
        return [
            [button(label(w), AdminOrders(w.value, 0)) for w in order[:3]],
            [button(label(w), AdminOrders(w.value, 0)) for w in order[3:]],
        ]

    def order_list(self, which: OrderFilter, paged: Paged[Order]) -> Screen:
        t, lang = self.texts, self.lang
        rows = [
            [
                button(
                    self.plain(
                        t(
                            lang,
                            "adm.orders.button",
                            number=o.number,
                            status=self.status(o),
                            total=o.total,
                        )
                    ),
                    AdminOrder(OrderNo(o.number), which.value, paged.page.number),
                )
            ]
            for o in paged.items
        ]
        if paged.pages > 1:
            number = paged.page.number
            rows.append(
                [
                    button("◀", AdminOrders(which.value, number - 1))
                    if paged.has_prev
                    else button(" ", Noop()),
                    button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop()),
                    button("▶", AdminOrders(which.value, number + 1))
                    if paged.has_next
                    else button(" ", Noop()),
                ]
            )
        rows.extend(self._filters_row(which))
        rows.append([button(t(lang, "adm.menu.panel"), AdminMenu())])
        title = t(
            lang,
            "adm.orders.title",
            filter=self.plain(t(lang, FILTER_LABELS[which])),
            total=paged.total,
        )
        if not paged.items:
            empty = (
                t(lang, "adm.orders.none_after_sales")
                if which == OrderFilter.AFTER_SALES
                else t(lang, "adm.orders.none")
            )
            title = f"{title}\n\n{empty}"
        return Screen(title, keyboard(rows))

    def _event(self, event: OrderEvent, names: dict[str, str]) -> list[str]:
        kind = event.params.get("kind") if event.type == OrderEventType.NOTE_ADDED else None
        label_key = INTERNAL_EVENTS.get(str(kind)) if kind else None
        what = (
            self.texts(self.lang, label_key)
            if label_key
            else self.texts(self.lang, f"event.{event.type.value}")
        )
        lines = [
            self.texts(
                self.lang,
                "adm.order.event",
                at=event.at,
                what=what,
                who=names.get(event.actor, event.actor),
            )
        ]
        if event.note:
            lines.append(
                self.texts(self.lang, "adm.order.event_note", note=short(event.note, NOTE_SHOWN))
            )
        return lines

    def order_detail(self, file: OrderFile, which: OrderFilter, page: int) -> Screen:
        t, lang = self.texts, self.lang
        order = file.order
        parts = [
            t(
                lang,
                "adm.order.title",
                number=order.number,
                status=self.status(order),
                placed=order.created_at,
            ),
            t(
                lang,
                "adm.order.customer",
                customer=who(file.customer, order.customer_id),
                id=order.customer_id,
            ),
            "",
        ]
        for line in order.lines:
            parts.append(
                t(
                    lang,
                    "adm.order.line",
                    name=line.name,
                    qty=line.quantity,
                    total=line.total,
                    sku=line.sku,
                )
            )
        parts.extend(order_footer(t, lang, order))
        if file.shipments:
            parts.append(t(lang, "adm.order.shipments"))
            for s in file.shipments:
                if s.tracking_url:
                    parts.append(
                        t(
                            lang,
                            "adm.order.shipment_link",
                            carrier=s.carrier_name,
                            tracking=s.tracking_number,
                            url=s.tracking_url,
                            at=s.shipped_at,
                        )
                    )
                else:
                    parts.append(
                        t(
                            lang,
                            "adm.order.shipment",
                            carrier=s.carrier_name,
                            tracking=s.tracking_number,
                            at=s.shipped_at,
                        )
                    )
        if order.after_sales_open > 0:  # after-sales (bot/after_sales.py)
            parts.append(t(lang, "as.adm.order_open", n=order.after_sales_open))
        if order.events:
            parts.append(t(lang, "adm.order.timeline"))
            for event in order.events[-EVENTS_SHOWN:]:
                parts.extend(self._event(event, file.names))
        number = OrderNo(order.number)
        actions: list[InlineKeyboardButton] = []
        for action in file.actions:
            label = t(lang, ACTION_LABELS[action])
            data: Callback = {
                AdminAction.CONFIRM_COD: AdminConfirmCod(number),
                AdminAction.SHIP: AdminShip(number),
                AdminAction.DELIVER: AdminDeliver(number),
                AdminAction.COMPLETE: AdminComplete(number),
                AdminAction.CANCEL: AdminCancel(number),
                AdminAction.REFUND: RefundOrder(number),
            }[action]
            actions.append(button(label, data))
        rows = [actions[i : i + 2] for i in range(0, len(actions), 2)]
        rows.append(
            [
                button(t(lang, "adm.order.note"), AdminNote(number)),
                button(t(lang, "adm.order.message"), AdminMessage(number)),
            ]
        )
        rows.append(
            [
                button(t(lang, "adm.order.slip"), AdminSlip(number)),
                button(t(lang, "adm.order.refresh"), AdminOrder(number, which.value, page)),
            ]
        )
        if order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):  # after-sales
            rows.append([button(t(lang, "as.adm.order_button"), AsAdmOrder(number))])
        rows.append([button(t(lang, "adm.order.back"), AdminOrders(which.value, page))])
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    # -- dialogs ----------------------------------------------------------------------------

    def _dialog_buttons(self, dialog: Dialog) -> list[list[InlineKeyboardButton]]:
        t, lang = self.texts, self.lang
        row = []
        if dialog.optional:
            row.append(button(t(lang, "adm.dialog.skip"), AdminSkip(Token(dialog.token))))
        row.append(button(t(lang, "adm.dialog.cancel"), AdminDialogCancel(Token(dialog.token))))
        return [row]

    def carrier_name(self, code: object) -> str:
        carrier = self.carriers.get(str(code))
        return carrier.name if carrier else str(code)

    def prompt(
        self,
        dialog: Dialog,
        *,
        order: Order | None = None,
        product: Product | None = None,
        categories: Sequence[Category] = (),
    ) -> Screen:
        """The question a dialog asks at its current step (or its confirmation)."""
        screen = self._prompt(dialog, order=order, product=product, categories=categories)
        request = dialog.data.get("request_number")
        if dialog.kind == DialogKind.SHIP and request:  # shipping for an after-sales request
            header = self.t("as.adm.ship_for", request=str(request))
            return Screen(fit(f"{header}\n{screen.text}", TEXT_LIMIT), screen.markup)
        return screen

    def _prompt(
        self,
        dialog: Dialog,
        *,
        order: Order | None = None,
        product: Product | None = None,
        categories: Sequence[Category] = (),
    ) -> Screen:
        t, lang = self.texts, self.lang
        data = dialog.data
        kind, step = dialog.kind, dialog.step
        number = str(data.get("number", ""))
        if step == CONFIRM:
            return self._confirmation(dialog, order)
        if kind == DialogKind.SHIP:
            if step == "carrier":
                rows = [
                    [
                        button(c.name, AdminCarrier(Token(dialog.token), c.code))
                        for c in list(self.carriers.values())[i : i + 2]
                    ]
                    for i in range(0, len(self.carriers), 2)
                ]
                rows.extend(self._dialog_buttons(dialog))
                return Screen(t(lang, "adm.ship.carrier", number=number), keyboard(rows))
            if step == "tracking":
                carrier = self.carriers.get(str(data.get("carrier")))
                if carrier is not None and carrier.example:
                    text = t(
                        lang,
                        "adm.ship.tracking_example",
                        carrier=carrier.name,
                        number=number,
                        example=carrier.example,
                    )
                else:
                    text = t(
                        lang,
                        "adm.ship.tracking",
                        carrier=self.carrier_name(data.get("carrier")),
                        number=number,
                    )
                return Screen(text, keyboard(self._dialog_buttons(dialog)))
            return Screen(
                t(lang, "adm.ship.note", number=number), keyboard(self._dialog_buttons(dialog))
            )
        if kind == DialogKind.CANCEL:
            text = t(lang, "adm.cancel.reason", number=number)
        elif kind == DialogKind.NOTE:
            text = t(lang, "adm.note.ask", number=number)
        elif kind == DialogKind.MESSAGE:
            text = t(lang, "adm.message.ask", number=number)
        elif kind == DialogKind.EDIT_PRODUCT:
            text = t(lang, EDIT_PROMPTS[str(data.get("field"))], name=str(data.get("name", "")))
        elif kind == DialogKind.STOCK:
            if step == "change":
                text = t(
                    lang,
                    "adm.stock.ask",
                    name=str(data.get("name", "")),
                    stock=product.stock if product else "?",
                    reserved=product.reserved if product else "?",
                )
            else:
                text = t(lang, "adm.stock.reason")
        elif kind == DialogKind.ADD_PRODUCT and step == "category":
            existing = ", ".join(c.name for c in categories) or "—"
            text = t(lang, "adm.add.category", existing=existing)
        elif kind == DialogKind.ADD_PRODUCT:
            text = t(lang, ADD_PROMPTS[step])
        else:
            text = t(lang, "adm.error.stale_dialog")
        return Screen(text, keyboard(self._dialog_buttons(dialog)))

    def _confirmation(self, dialog: Dialog, order: Order | None) -> Screen:
        t, lang = self.texts, self.lang
        data = dialog.data
        number = str(data.get("number", ""))
        if dialog.kind == DialogKind.SHIP:
            text = t(
                lang,
                "adm.ship.confirm",
                number=number,
                carrier=self.carrier_name(data.get("carrier")),
                tracking=str(data.get("tracking", "")),
                note=str(data.get("note") or "—"),
            )
            label = t(lang, "adm.ship.confirm_button")
        elif dialog.kind == DialogKind.CANCEL:
            text = t(
                lang,
                "adm.cancel.confirm",
                number=number,
                total=order.total if order else "",
                reason=str(data.get("reason", "")),
            )
            label = t(lang, "adm.cancel.confirm_button")
        else:
            price = data.get("price")
            text = t(
                lang,
                "adm.add.confirm",
                name=str(data.get("name", "")),
                category=str(data.get("category", "")),
                price=Money(int(price), self.currency) if price is not None else "—",
                stock=data.get("stock", 0),
                photo=t(lang, "adm.add.photo_yes")
                if data.get("photo")
                else t(lang, "adm.add.photo_no"),
                description=short(str(data.get("description") or "—"), 600),
            )
            label = t(lang, "adm.add.confirm_button")
        rows = [
            [button(label, AdminConfirm(Token(dialog.token)))],
            [button(t(lang, "adm.dialog.cancel"), AdminDialogCancel(Token(dialog.token)))],
        ]
        return Screen(fit(text, TEXT_LIMIT), keyboard(rows))

    # -- products ---------------------------------------------------------------------------

    def product_list(self, paged: Paged[Product]) -> Screen:
        t, lang = self.texts, self.lang
        rows = []
        for p in paged.items:
            key = "adm.product.button" if p.active else "adm.product.button_inactive"
            label = t(lang, key, name=short(p.name, 32), price=p.price, stock=p.stock)
            rows.append([button(self.plain(label), AdminProduct(p.id, paged.page.number))])
        if paged.pages > 1:
            number = paged.page.number
            rows.append(
                [
                    button("◀", AdminProducts(number - 1))
                    if paged.has_prev
                    else button(" ", Noop()),
                    button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop()),
                    button("▶", AdminProducts(number + 1))
                    if paged.has_next
                    else button(" ", Noop()),
                ]
            )
        rows.append(
            [
                button(t(lang, "adm.product.add"), AdminAddProduct()),
                button(t(lang, "adm.menu.export_products"), AdminExport("products")),
            ]
        )
        rows.append([button(t(lang, "adm.menu.panel"), AdminMenu())])
        text = (
            t(lang, "adm.product.list_title", total=paged.total)
            if paged.items
            else t(lang, "adm.product.none")
        )
        return Screen(text, keyboard(rows))

    def product_card(self, file: ProductFile, page: int) -> Screen:
        t, lang = self.texts, self.lang
        p = file.product
        parts = [
            t(
                lang,
                "adm.product.card",
                name=p.name,
                sku=p.sku,
                category=p.category_name,
                price=p.price,
                stock=p.stock,
                reserved=p.reserved,
                available=p.available,
                threshold=p.low_stock_threshold,
                state=t(lang, "adm.product.state_active")
                if p.active
                else t(lang, "adm.product.state_inactive"),
            )
        ]
        if p.description:
            parts.append(t(lang, "adm.product.description", text=short(p.description, 600)))
        if file.log:
            parts.append(t(lang, "adm.product.log_title"))
            for e in file.log:
                parts.append(
                    t(
                        lang,
                        "adm.product.log_line",
                        at=e.at,
                        delta=f"{e.delta:+d}",
                        stock=e.stock_after,
                        reason=e.reason,
                        who=file.names.get(e.actor, e.actor),
                    )
                )
        pid = p.id
        rows = [
            [
                button(t(lang, "adm.product.edit_name"), AdminEdit(pid, "name")),
                button(t(lang, "adm.product.edit_price"), AdminEdit(pid, "price")),
            ],
            [
                button(t(lang, "adm.product.edit_desc"), AdminEdit(pid, "desc")),
                button(t(lang, "adm.product.edit_thresh"), AdminEdit(pid, "thresh")),
            ],
            [
                button(t(lang, "adm.product.stock"), AdminStock(pid)),
                button(t(lang, "adm.product.deactivate"), AdminActive(pid, 0))
                if p.active
                else button(t(lang, "adm.product.reactivate"), AdminActive(pid, 1)),
            ],
            [button(t(lang, "adm.product.back"), AdminProducts(page))],
        ]
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
