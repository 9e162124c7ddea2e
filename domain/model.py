"""Entities and value objects of the shop. Plain data; the rules live in services and machines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from domain.checkout import PaymentMethod
from domain.lifecycle import OrderEventType, OrderStatus
from domain.money import Money

MIN_QUANTITY = 1
MAX_QUANTITY = 99


class Language(StrEnum):
    """Languages the bot speaks."""

    EN = "en"
    ZH = "zh"

    @classmethod
    def from_telegram(cls, language_code: str | None) -> Language:
        """zh* becomes Chinese; anything else, or nothing, English."""
        if language_code and language_code.lower().startswith("zh"):
            return cls.ZH
        return cls.EN


@dataclass
class Customer:
    """A Telegram user who talks to the shop."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    language: Language | None = None  # chosen with /language; None follows Telegram
    reachable: bool = True

    @property
    def effective_language(self) -> Language:
        """The language to speak to this customer in."""
        return self.language or Language.from_telegram(self.language_code)


@dataclass
class Category:
    """A shelf of the catalog."""

    id: int
    name: str
    product_count: int = 0


@dataclass
class Product:
    """Something the shop sells; `reserved` units are held by unpaid orders."""

    id: int
    sku: str
    name: str
    category_id: int
    price: Money
    stock: int
    reserved: int = 0
    description: str = ""
    photo: str | None = None
    photo_file_id: str | None = None
    low_stock_threshold: int = 0
    active: bool = True
    category_name: str = ""
    # Reviews of the orders that contained it (filled by ProductRepository.get).
    rating_count: int = 0
    rating_sum: int = 0

    @property
    def rating_average(self) -> float | None:
        """The average rating, 1 to 5; None when nobody rated it yet."""
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def available(self) -> int:
        """Units that can still be ordered."""
        return max(self.stock - self.reserved, 0)

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit can be ordered."""
        return self.available > 0


@dataclass
class CartLine:
    """A product and quantity in a customer's cart."""

    product: Product
    quantity: int

    @property
    def total(self) -> Money:
        """Price times quantity."""
        return self.product.price * self.quantity


@dataclass
class Cart:
    """A customer's cart; it lives in the database, so it survives restarts."""

    customer_id: int
    lines: list[CartLine] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is nothing in it."""
        return not self.lines

    def subtotal(self, currency: str) -> Money:
        """Sum of line totals."""
        total = Money.zero(currency)
        for line in self.lines:
            total += line.total
        return total

    @property
    def item_count(self) -> int:
        """Units in the cart, all lines together."""
        return sum(line.quantity for line in self.lines)

    def quantity_of(self, product_id: int) -> int:
        """How many of a product the cart holds."""
        return sum(line.quantity for line in self.lines if line.product.id == product_id)


@dataclass
class Address:
    """A saved delivery address."""

    id: int
    customer_id: int
    recipient: str
    phone: str
    text: str


@dataclass
class OrderLine:
    """A line of an order with the price and name as they were when it was placed."""

    product_id: int
    sku: str
    name: str
    unit_price: Money
    quantity: int
    id: int | None = None  # the stored line (after-sales requests point at it)

    @property
    def total(self) -> Money:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


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
    updated_at: datetime | None = None
    events: list[OrderEvent] = field(default_factory=list)
    after_sales_open: int = 0  # after-sales requests not yet closed

    @property
    def subtotal(self) -> Money:
        """Sum of the lines."""
        total = Money.zero(self.currency)
        for line in self.lines:
            total += line.total
        return total

    @property
    def total(self) -> Money:
        """Lines plus shipping."""
        return self.subtotal + self.shipping


@dataclass
class Notification:
    """A message the shop owes someone; written in the same transaction as its cause."""

    chat_id: int
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    language: Language | None = None  # None: the admin chat's language
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)  # (text key, callback)
    dedupe_key: str | None = None
    id: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Page:
    """Which slice of a list to show."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return self.number * self.size


T = TypeVar("T")


@dataclass
class Paged(Generic[T]):
    """A page of items and the total count."""

    items: list[T]
    total: int
    page: Page

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max((self.total + self.page.size - 1) // self.page.size, 1)

    @property
    def has_prev(self) -> bool:
        """Whether there is an earlier page."""
        return self.page.number > 0

    @property
    def has_next(self) -> bool:
        """Whether there is a later page."""
        return self.page.number + 1 < self.pages
