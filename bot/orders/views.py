"""Order rendering shared by the customer's and the merchant's order screens."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
)

from bot.callback_data import OrderNo
from bot.cart.callbacks import PutBackInCart
from bot.catalog.callbacks import Categories
from bot.merchant.callbacks import ContactAbout
from bot.orders.callbacks import AskCancelOrder, CancelOrder, OrderDetail, OrderList
from bot.payments.callbacks import AskReceipt, PayNow
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, pager
from bot.shared.callbacks import Menu
from bot.shared.views import ShopViews
from bot.shipping.callbacks import Received
from bot.texts import Texts
from domain.orders.lifecycle import CANCELLABLE_BY_CUSTOMER, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.due import PaymentDue
from domain.shared.customers import Language
from domain.shared.paging import Paged

ORDER_LINES_SHOWN = 15


EVENTS_SHOWN = 12


def delivery_lines(t: Texts, lang: Language, order: Order) -> list[str]:
    """The shipping method the order was placed with (none for the shop's flat fee), and
    where it goes: the address, or for pickup the shop's place and who collects it."""
    method = order.shipping_method
    if method is None:
        lines = []
    else:
        lines = [t(lang, "checkout.shipping.method", name=method.name(lang.value))]
    if method is not None and method.pickup:
        lines.append(
            t(
                lang,
                "checkout.shipping.pickup_by",
                place=method.place,
                recipient=order.recipient,
                phone=order.phone,
            )
        )
    else:
        lines.append(
            t(
                lang,
                "order.deliver_to",
                recipient=order.recipient,
                phone=order.phone,
                address=order.address_text,
            )
        )
    return lines


def order_footer(t: Texts, lang: Language, order: Order) -> list[str]:
    """Totals, delivery address and payment method of an order (customer and admin views)."""
    return [
        t(
            lang,
            "order.totals_discount" if order.promo_code else "order.totals",
            subtotal=order.subtotal,
            code=order.promo_code or "",
            discount=order.discount,
            shipping=order.shipping,
            total=order.total,
        ),
        *delivery_lines(t, lang, order),
        t(lang, "order.payment", method=t(lang, f"payment.{order.payment_method.value}")),
    ]


class OrderViews(ShopViews):
    """The customer's order screens."""

    # -- orders -----------------------------------------------------------------------------

    def status(self, lang: Language, order: Order) -> str:
        return self.t(lang, f"status.{order.status.value}")

    def placed(self, lang: Language, order: Order, due: PaymentDue | None = None) -> Screen:
        """The order just placed: what was ordered, how to pay and by when."""
        t = self.t
        number = OrderNo(order.number)
        parts = [t(lang, "order.placed", number=order.number)]
        parts.extend(self._order_body(lang, order))
        if self._awaits_its_first_step(order):
            parts.append(self._payment_hint(lang, order))
            if due is not None and due.deadline is not None:
                parts.append(t(lang, "pay.deadline", deadline=due.deadline))
        else:  # shown again (Confirm tapped later): the order has moved on since
            parts.append(t(lang, "order.status_now", status=self.status(lang, order)))
        # No Pay now / Send receipt here: this message stays in the chat after the order is
        # paid. The invoice follows it; the order's own screen (rendered when opened) offers
        # them for as long as the order waits.
        rows = [
            [button(t(lang, "order.open", number=order.number), OrderDetail(number, 0))],
            [
                button(t(lang, "menu.orders"), OrderList(0)),
                button(t(lang, "cart.continue"), Categories()),
            ],
        ]
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    @staticmethod
    def _awaits_its_first_step(order: Order) -> bool:
        """Whether the order stands where placing left it: how to pay still applies."""
        if order.payment_method == PaymentMethod.FREE:
            return order.status == OrderStatus.PAID
        if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
            return order.status == OrderStatus.CONFIRMED
        return order.status == OrderStatus.PENDING_PAYMENT

    def _payment_hint(self, lang: Language, order: Order) -> str:
        if order.payment_method == PaymentMethod.FREE:
            return self.t(lang, "pay.hint_free", total=order.total)
        if order.payment_method in (PaymentMethod.CARD, PaymentMethod.STARS):
            return self.t(lang, "pay.hint_online", total=order.total)
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            details = self.bank_details or self.t(lang, "payment.bank_details_missing")
            return "\n".join(
                [
                    self.t(
                        lang,
                        "payment.bank_hint",
                        details=details,
                        number=order.number,
                        total=order.total,
                    ),
                    self.t(lang, "pay.hint_receipt"),
                ]
            )
        return self.t(lang, "payment.cod_hint", total=order.total)

    def payment_section(self, lang: Language, order: Order, due: PaymentDue) -> list[str]:
        """How to pay an order that waits for its payment, for as long as it waits: the bank
        details or the invoice, and the deadline (or that the receipt is being checked)."""
        t = self.t
        if due.in_review:
            return [t(lang, "pay.in_review")]
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            hint = self._payment_hint(lang, order)
        else:
            hint = t(lang, "pay.due_online", total=order.total)
        return [hint, t(lang, "pay.deadline", deadline=due.deadline)]

    def payment_buttons(self, lang: Language, order: Order) -> list[list[InlineKeyboardButton]]:
        """Pay now (invoice) or Send transfer receipt (bank), while the order is unpaid."""
        if order.status != OrderStatus.PENDING_PAYMENT:
            return []
        number = OrderNo(order.number)
        if order.payment_method in (PaymentMethod.CARD, PaymentMethod.STARS):
            return [[button(self.t(lang, "pay.pay_now"), PayNow(number))]]
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            return [[button(self.t(lang, "pay.send_receipt"), AskReceipt(number))]]
        return []

    def _order_body(self, lang: Language, order: Order) -> list[str]:
        t = self.t
        parts = []
        for line in order.lines[:ORDER_LINES_SHOWN]:
            parts.append(t(lang, "order.line", name=line.name, qty=line.quantity, total=line.total))
        if len(order.lines) > ORDER_LINES_SHOWN:
            parts.append(t(lang, "order.more_lines", n=len(order.lines) - ORDER_LINES_SHOWN))
        parts.extend(order_footer(t, lang, order))
        return parts

    def order_list(self, lang: Language, paged: Paged[Order]) -> Screen:
        t = self.t
        if not paged.items and paged.page.number == 0:
            return Screen(
                t(lang, "orders.none"),
                keyboard(
                    [
                        [
                            button(t(lang, "menu.catalog"), Categories()),
                            button(t(lang, "nav.menu"), Menu()),
                        ]
                    ]
                ),
            )
        rows = [
            [
                button(
                    button_label(
                        t(
                            lang,
                            "orders.button",
                            number=o.number,
                            status=self.status(lang, o),
                            total=o.total,
                        )
                    ),
                    OrderDetail(OrderNo(o.number), paged.page.number),
                )
            ]
            for o in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: OrderList(n)))
        rows.append([button(t(lang, "nav.menu"), Menu())])
        return Screen(t(lang, "orders.title", total=paged.total), keyboard(rows))

    def order_detail(
        self,
        lang: Language,
        order: Order,
        page: int,
        extra_lines: Sequence[str] = (),
        extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    ) -> Screen:
        """An order with its timeline; features add lines and buttons (after-sales, reviews)."""
        t = self.t
        parts = [
            t(
                lang,
                "order.title",
                number=order.number,
                status=self.status(lang, order),
                placed=order.created_at,
            )
        ]
        parts.extend(self._order_body(lang, order))
        parts.extend(extra_lines)
        if order.events:
            parts.append(t(lang, "order.timeline"))
            shown = [e for e in order.events if not e.params.get("internal")]  # admin notes
            for event in shown[-EVENTS_SHOWN:]:
                parts.append(
                    t(lang, "order.event", at=event.at, what=t(lang, f"event.{event.type.value}"))
                )
        rows: list[list[InlineKeyboardButton]] = [*self.payment_buttons(lang, order)]
        if order.status in CANCELLABLE_BY_CUSTOMER:
            rows.append(
                [button(t(lang, "order.cancel"), AskCancelOrder(OrderNo(order.number), page))]
            )
        if order.status == OrderStatus.CANCELLED:  # e.g. expired unpaid: order it again
            number = OrderNo(order.number)
            rows.append([button(t(lang, "cart.put_back_button"), PutBackInCart(number))])
        if order.status == OrderStatus.DELIVERED:  # jobs and tracking: the parcel arrived
            rows.append(
                [button(t(lang, "track.received_button"), Received(OrderNo(order.number), page))]
            )
        rows.extend(list(row) for row in extra_rows)
        rows.append([button(t(lang, "contact.button_order"), ContactAbout(OrderNo(order.number)))])
        rows.append(
            [
                button(t(lang, "orders.back"), OrderList(page)),
                button(t(lang, "nav.menu"), Menu()),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    def ask_cancel(self, lang: Language, order: Order, page: int) -> Screen:
        t = self.t
        return Screen(
            t(lang, "order.cancel_confirm", number=order.number, total=order.total),
            keyboard(
                [
                    [
                        button(
                            t(lang, "order.cancel_yes"), CancelOrder(OrderNo(order.number), page)
                        ),
                        button(
                            t(lang, "order.cancel_no"), OrderDetail(OrderNo(order.number), page)
                        ),
                    ]
                ]
            ),
        )
