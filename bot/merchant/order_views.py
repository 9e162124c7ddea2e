"""The merchant's order screens: filtered order lists and an order's file."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.after_sales.callbacks import AsAdmOrder
from bot.callback_data import Callback, OrderNo
from bot.merchant.callbacks import (
    AdminCancel,
    AdminComplete,
    AdminConfirmCod,
    AdminDeliver,
    AdminMenu,
    AdminMessage,
    AdminNote,
    AdminOrder,
    AdminOrderOnPage,
    AdminOrders,
    AdminOrdersPage,
    AdminShip,
    AdminSlip,
)
from bot.merchant.views import (
    ACTION_LABELS,
    EVENTS_SHOWN,
    FILTER_LABELS,
    INTERNAL_EVENTS,
    NOTE_SHOWN,
    MerchantViews,
)
from bot.orders.views import order_footer
from bot.payments.callbacks import RefundOrder
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short
from bot.shared.callbacks import Noop
from domain.merchant.rules import AdminAction, OrderFile, OrderFilter
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent
from domain.shared.customers import display_name, has_chat
from domain.shared.paging import Paged, Toward


class AdminOrderViews(MerchantViews):
    """The merchant's order screens."""

    # -- orders -----------------------------------------------------------------------------

    def _filters_row(self, current: OrderFilter) -> list[list[InlineKeyboardButton]]:
        def label(which: OrderFilter) -> str:
            text = button_label(self.texts(self.lang, FILTER_LABELS[which]))
            return f"• {text}" if which == current else text

        order = list(OrderFilter)
        return [
            [button(label(w), AdminOrders(w.value, 0)) for w in order[:3]],
            [button(label(w), AdminOrders(w.value, 0)) for w in order[3:]],
        ]

    def order_list(self, which: OrderFilter, paged: Paged[Order]) -> Screen:
        """A page of orders; its buttons name the orders at its edges (keyset paging), so the
        page next to it is one index range however deep it lies."""
        t, lang = self.texts, self.lang
        first = (paged.items[0].id or 0) if paged.items else 0
        last = (paged.items[-1].id or 0) if paged.items else 0
        number = paged.page.number
        rows = [
            [
                button(
                    button_label(
                        t(
                            lang,
                            "adm.orders.button",
                            number=o.number,
                            status=self.status(o),
                            total=o.total,
                        )
                    ),
                    AdminOrderOnPage(OrderNo(o.number), which.value, number, first)
                    if number
                    else AdminOrder(OrderNo(o.number), which.value, 0),
                )
            ]
            for o in paged.items
        ]
        if paged.pages > 1 or paged.has_prev or paged.has_next:
            prev = AdminOrdersPage(which.value, max(number - 1, 0), Toward.BEFORE.value, first)
            after = AdminOrdersPage(which.value, number + 1, Toward.AFTER.value, last)
            rows.append(
                [
                    button("◀", prev) if paged.has_prev else button(" ", Noop()),
                    button(
                        t(lang, "nav.page", page=number + 1, pages=max(paged.pages, number + 1)),
                        Noop(),
                    ),
                    button("▶", after) if paged.has_next else button(" ", Noop()),
                ]
            )
        rows.extend(self._filters_row(which))
        rows.append([button(t(lang, "adm.menu.panel"), AdminMenu())])
        title = t(
            lang,
            "adm.orders.title",
            filter=button_label(t(lang, FILTER_LABELS[which])),
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

    def order_detail(
        self, file: OrderFile, which: OrderFilter, page: int = 0, first: int | None = None
    ) -> Screen:
        """An order's file; Refresh and Back remember the list's page it was opened from (by
        its first order, `first`; without one, the list's first page)."""
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
        ]
        if has_chat(order.customer_id):  # not a channel's buyer without a Telegram account
            parts.append(
                t(
                    lang,
                    "adm.order.customer",
                    customer=display_name(file.customer, order.customer_id),
                    id=order.customer_id,
                )
            )
        if order.channel:  # placed through another sales channel (issue 17)
            key = "adm.order.channel_reference" if order.channel_reference else "adm.order.channel"
            parts.append(
                t(lang, key, channel=order.channel, reference=order.channel_reference or "")
            )
        parts.append("")
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
                            carrier=self.carrier_name(s.carrier_code, s.carrier_name),
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
                            carrier=self.carrier_name(s.carrier_code, s.carrier_name),
                            tracking=s.tracking_number,
                            at=s.shipped_at,
                        )
                    )
        if order.after_sales_open > 0:  # after-sales (bot/after_sales/)
            parts.append(t(lang, "as.adm.order_open", n=order.after_sales_open))
        if order.events:
            parts.append(t(lang, "adm.order.timeline"))
            for event in order.events[-EVENTS_SHOWN:]:
                parts.extend(self._event(event, file.names))
        number = OrderNo(order.number)
        refresh: Callback = AdminOrder(number, which.value, 0)
        back: Callback = AdminOrders(which.value, 0)
        if first is not None and page > 0:
            refresh = AdminOrderOnPage(number, which.value, page, first)
            back = AdminOrdersPage(which.value, page, Toward.FROM.value, first)
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
        talk = [button(t(lang, "adm.order.note"), AdminNote(number))]
        if has_chat(order.customer_id):  # a channel's buyer without Telegram cannot be written to
            talk.append(button(t(lang, "adm.order.message"), AdminMessage(number)))
        rows.append(talk)
        rows.append(
            [
                button(t(lang, "adm.order.slip"), AdminSlip(number)),
                button(t(lang, "adm.order.refresh"), refresh),
            ]
        )
        if order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):  # after-sales
            rows.append([button(t(lang, "as.adm.order_button"), AsAdmOrder(number))])
        rows.append([button(t(lang, "adm.order.back"), back)])
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
