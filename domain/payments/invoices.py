"""Invoices and pre-checkout: the invoice of an order that can be paid online now, and the
answer to Telegram's pre-checkout query (one read-only transaction; Telegram waits 10 s)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.payments.base import PaymentsBase
from domain.payments.rules import (
    ONLINE_METHODS,
    STARS,
    Refusal,
    _closed_refusal,
    _error,
    _minutes,
    invoice_payload,
    payload_matches,
    payload_number,
)
from domain.shared.errors import NotFoundError
from domain.shared.numbers import normalize_order_number


@dataclass(frozen=True)
class InvoiceItem:
    """One price of an invoice: a line, the shipping, or (Stars) the whole order."""

    kind: str  # "line" | "discount" | "shipping" | "total"
    amount: int
    name: str = ""
    quantity: int = 0


@dataclass(frozen=True)
class Invoice:
    """What to send as a Telegram invoice for an order."""

    order: Order
    payload: str
    currency: str
    items: tuple[InvoiceItem, ...]
    expires_at: datetime
    minutes_left: int  # to pay, when the invoice was made

    @property
    def total(self) -> int:
        """Sum of the prices: exactly the order's total."""
        return sum(item.amount for item in self.items)


@dataclass(frozen=True)
class PreCheckoutVerdict:
    """Whether to accept a pre-checkout query, and if not, why."""

    refusal: Refusal | None
    order: Order | None = None

    @property
    def ok(self) -> bool:
        """True when the payment may go ahead."""
        return self.refusal is None


def invoice_items(order: Order) -> tuple[InvoiceItem, ...]:
    """One price per line, the discount (negative) and shipping; a Stars invoice has exactly
    one price."""
    if order.currency == STARS:
        return (InvoiceItem("total", order.total.amount),)
    items = [
        InvoiceItem("line", line.total.amount, line.name, line.quantity) for line in order.lines
    ]
    if order.discount_minor:
        # Telegram takes a negative price for a discount, as long as the total stays positive.
        items.append(InvoiceItem("discount", -order.discount_minor, order.promo_code or ""))
    if order.shipping.amount:
        items.append(InvoiceItem("shipping", order.shipping.amount))
    return tuple(items)


class Invoicing(PaymentsBase):
    """Invoices and pre-checkout."""

    async def invoice(self, customer_id: int, number: str) -> Invoice:
        """The invoice for one of the customer's orders, if it can be paid online now."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        now = self._clock.now()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
        refusal = self._payable(order, now)
        if refusal is not None:
            raise _error(refusal, order)
        return Invoice(
            order=order,
            payload=invoice_payload(self.config.invoice_secret, order),
            currency=order.currency,
            items=invoice_items(order),
            expires_at=order.created_at + self.config.timeout,
            minutes_left=_minutes(order.created_at + self.config.timeout - now),
        )

    def _payable(self, order: Order, now: datetime) -> Refusal | None:
        if order.status != OrderStatus.PENDING_PAYMENT:
            return _closed_refusal(order)
        if order.payment_method not in ONLINE_METHODS:
            return Refusal.NOT_PAYABLE
        if now >= order.created_at + self.config.timeout:
            return Refusal.EXPIRED  # due for the sweep, which may not have run yet
        return None

    async def check_pre_checkout(
        self, customer_id: int, payload: str, currency: str, total_amount: int
    ) -> PreCheckoutVerdict:
        """Accept only our own invoice, for the asker's order, still pending and within its
        time, for exactly its total and currency. One read-only transaction: Telegram waits
        for the answer at most 10 seconds."""
        number = payload_number(payload)
        if number is None:
            return PreCheckoutVerdict(Refusal.UNKNOWN)
        now = self._clock.now()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(number)
            if order is None or not payload_matches(self.config.invoice_secret, payload, order):
                return PreCheckoutVerdict(Refusal.UNKNOWN)
            assert order.id is not None
            if order.customer_id != customer_id:
                return PreCheckoutVerdict(Refusal.NOT_YOURS)
            if order.status != OrderStatus.PENDING_PAYMENT:
                order.events = await uow.orders.events(order.id)
        refusal = self._payable(order, now)
        if refusal is None and currency != order.currency:
            refusal = Refusal.CURRENCY
        if refusal is None and total_amount != order.total.amount:
            refusal = Refusal.AMOUNT
        return PreCheckoutVerdict(refusal, order)
