"""Orders: the snapshot of lines, prices and address a customer placed, and their timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.shipping_choice import ShippingChoice
from domain.shared.money import Money
from domain.shared.paging import Page, Paged


@dataclass
class OrderLine:
    """A line of an order with the price and name as they were when it was placed."""

    product_id: int
    sku: str
    name: str
    unit_price: Money
    quantity: int
    id: int | None = None  # the stored line (after-sales requests point at it)
    # The line's share of the order's promo discount (domain/promotions/rules.py splits it).
    discount_minor: int = 0

    @property
    def total(self) -> Money:
        """Unit price times quantity."""
        return self.unit_price * self.quantity

    @property
    def paid(self) -> Money:
        """What the customer paid for the line: its total less its share of the discount."""
        return self.total - Money(self.discount_minor, self.unit_price.currency)


@dataclass
class OrderEvent:
    """One entry of an order's timeline."""

    type: OrderEventType
    actor: str
    at: datetime
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Order:
    """A placed order with its snapshot of lines, prices and address."""

    number: str
    customer_id: int
    status: OrderStatus
    currency: str
    lines: list[OrderLine]
    shipping: Money
    payment_method: PaymentMethod
    recipient: str
    phone: str
    address_text: str
    created_at: datetime
    checkout_token: str | None = None
    id: int | None = None
    # Where it was placed: None for the Telegram chat, else the sales channel's name (the API
    # key's, e.g. "webshop") and the channel's own order id (unique per channel, idempotent).
    channel: str | None = None
    channel_reference: str | None = None
    updated_at: datetime | None = None
    events: list[OrderEvent] = field(default_factory=list)
    after_sales_open: int = 0  # after-sales requests not yet closed
    # The shipping method it was placed with (its fee is `shipping`); None: the flat fee.
    shipping_method: ShippingChoice | None = None
    # The promo code the order was placed with (normalised) and what it took off the lines;
    # free shipping shows in `shipping` itself (zero).
    promo_code: str | None = None
    discount_minor: int = 0

    @property
    def subtotal(self) -> Money:
        """Sum of the lines."""
        total = Money.zero(self.currency)
        for line in self.lines:
            total += line.total
        return total

    @property
    def discount(self) -> Money:
        """What the promo code took off the lines."""
        return Money(self.discount_minor, self.currency)

    @property
    def total(self) -> Money:
        """Lines less the discount, plus shipping."""
        return self.subtotal - self.discount + self.shipping


class OrderRepository(Protocol):
    async def add(self, order: Order) -> int:
        """Insert the order with its lines; raises DuplicateError if its checkout token is used."""

    async def get_by_number(self, number: str) -> Order | None: ...
    async def get(self, order_id: int) -> Order | None: ...
    async def number_taken(self, number: str) -> bool: ...
    async def list_for_customer(self, customer_id: int, page: Page) -> Paged[Order]: ...
    async def save_status(self, order: Order, expected: OrderStatus | None = None) -> bool:
        """Store the order's status; with `expected`, only if the stored one still equals it."""

    async def add_event(self, order_id: int, event: OrderEvent) -> None: ...
    async def change_after_sales_open(self, order_id: int, delta: int) -> None:
        """Count an after-sales request opened (+1) or closed (-1) on the order."""

    async def events(self, order_id: int) -> list[OrderEvent]: ...


class PaymentMethod(StrEnum):
    """How the customer pays."""

    CASH_ON_DELIVERY = "cod"  # pays the courier on delivery
    BANK_TRANSFER = "bank"  # transfers to the shop's account
    CARD = "card"  # Telegram invoice through the shop's payment provider (PAYMENT_PROVIDER_TOKEN)
    STARS = "stars"  # Telegram invoice in Stars (XTR), for shops whose CURRENCY is XTR
    # Nothing to pay (a total of 0: a 100 % code, free shipping or pickup): placed paid with a
    # payment of 0. Never a setting; the checkout takes it only while the total is 0.
    FREE = "free"
