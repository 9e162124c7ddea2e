"""The merchant's rules that need no database: order filters and the actions an order offers,
the settings, what the merchant's files show, and the checks of typed text, prices, counts
and stock changes."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from domain.catalog.model import InventoryEntry, Product
from domain.orders import lifecycle
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.shared.customers import Customer
from domain.shared.errors import (
    InvalidInputError,
)
from domain.shared.money import Money, MoneyError
from domain.shared.numbers import ALPHABET
from domain.shipping.carriers import DEFAULT_CARRIERS, Carrier, Shipment

TEXT_MAX = 1000  # a note, a message to or from a customer


REASON_MIN, REASON_MAX = 2, 200


STOCK_MAX = 1_000_000


PRICE_MAX_MINOR = 10**11


PICK_LIST_MAX = 200


EXPORT_MAX = 10_000


LOG_SHOWN = 5


_SPACES = re.compile(r"[ \t\r\f\v]+")


_STOCK_CHANGE = re.compile(r"([+\-=]?)\s*(\d{1,7})")


class OrderFilter(StrEnum):
    """The merchant's views of the order book."""

    TO_SHIP = "ship"  # paid or cash on delivery, waiting for the warehouse (oldest first)
    PENDING = "pend"  # waiting for payment
    SHIPPED = "sent"  # with a carrier
    AFTER_SALES = "after"  # with an open after-sales request (domain/after_sales.py)
    ALL = "all"  # everything, newest first


FILTER_STATUSES: dict[OrderFilter, frozenset[OrderStatus] | None] = {
    OrderFilter.TO_SHIP: lifecycle.TO_SHIP,
    OrderFilter.PENDING: frozenset({OrderStatus.PENDING_PAYMENT}),
    OrderFilter.SHIPPED: frozenset({OrderStatus.SHIPPED}),
    OrderFilter.ALL: None,
}


class AdminAction(StrEnum):
    """Buttons an order's detail may offer, each one step of the lifecycle."""

    CONFIRM_COD = "cod"  # accept a cash-on-delivery order for shipping
    SHIP = "ship"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CANCEL = "cancel"  # unpaid orders: stock goes back on sale
    REFUND = "refund"  # paid orders: cancel with a refund (the payments feature does it)


_ACTION_FOR_TRIGGER = {
    "confirm_cod": AdminAction.CONFIRM_COD,
    "ship": AdminAction.SHIP,
    "deliver": AdminAction.DELIVER,
    "complete": AdminAction.COMPLETE,
    "cancel": AdminAction.CANCEL,
    # "pay" is recorded by the payments feature and "expire" by a job: no merchant buttons.
}


SHIPPED_OR_LATER = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def order_actions(order: Order) -> list[AdminAction]:
    """The merchant's buttons for exactly the steps the lifecycle allows from here."""
    actions: list[AdminAction] = []
    for trigger in lifecycle.allowed_triggers(order.status):
        action = _ACTION_FOR_TRIGGER.get(trigger)
        if action is None:
            continue
        if action == AdminAction.CONFIRM_COD and (
            order.payment_method != PaymentMethod.CASH_ON_DELIVERY
        ):
            continue
        if action == AdminAction.CANCEL and order.status in lifecycle.STOCK_COMMITTED:
            action = AdminAction.REFUND  # money was taken: it has to go back
        actions.append(action)
    return actions


# Product fields an admin edits one at a time.
EDITABLE_FIELDS = ("name", "price", "desc", "thresh")


@dataclass(frozen=True)
class MerchantConfig:
    """The shop's settings that the merchant's rules depend on."""

    currency: str
    admin_chat_id: int | None = None
    carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS
    page_size: int = 6
    # The low-stock threshold a product added in the admin chat starts with (0: never alert).
    low_stock_default: int = 0

    def carrier(self, code: str) -> Carrier | None:
        """The configured carrier with this code."""
        return next((c for c in self.carriers if c.code == code), None)


@dataclass
class OrderFile:
    """Everything the merchant sees about one order."""

    order: Order
    customer: Customer | None
    shipments: list[Shipment]
    actions: list[AdminAction]
    names: dict[str, str] = field(default_factory=dict)  # actor -> display name


@dataclass
class ProductFile:
    """A product with the latest lines of its inventory log."""

    product: Product
    log: list[InventoryEntry]
    names: dict[str, str] = field(default_factory=dict)


def _clean(text: str | None, *, multiline: bool = False) -> str:
    """Drop control characters, squeeze spaces; keep line breaks only when `multiline`."""
    kept = "".join(
        ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in (" ", "\n", "\t")
    )
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    if not multiline:
        return " ".join(line for line in lines if line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def check_text(text: str | None, low: int, high: int, *, multiline: bool = False) -> str:
    """Free text of `low` to `high` characters, or InvalidInputError."""
    cleaned = _clean(text, multiline=multiline)
    if not low <= len(cleaned) <= high:
        raise InvalidInputError("adm.error.text_length", min=low, max=high, length=len(cleaned))
    return cleaned


def check_price(text: str, currency: str) -> Money:
    """A price above zero in major units, such as 12.50."""
    try:
        price = Money.from_major(_clean(text).replace(",", "."), currency)
    except MoneyError:
        raise InvalidInputError("adm.error.price_invalid") from None
    if not 0 < price.amount <= PRICE_MAX_MINOR:
        raise InvalidInputError("adm.error.price_invalid")
    return price


def check_count(text: str, high: int = STOCK_MAX) -> int:
    """A whole number from 0 to `high`."""
    cleaned = _clean(text)
    if not cleaned.isdigit() or not 0 <= int(cleaned) <= high:
        raise InvalidInputError("adm.error.count_invalid", max=high)
    return int(cleaned)


def parse_stock_change(text: str) -> tuple[str, int]:
    """A stock change: "+5" adds, "-2" removes, "=25" or "25" sets the count."""
    match = _STOCK_CHANGE.fullmatch(_clean(text))
    if match is None or int(match.group(2)) > STOCK_MAX:
        raise InvalidInputError("adm.error.stock_change_invalid")
    sign, number = match.group(1) or "=", int(match.group(2))
    if sign != "=" and number == 0:
        raise InvalidInputError("adm.error.stock_change_invalid")
    return sign, number


def _new_sku(choice: Callable[[str], str] = secrets.choice) -> str:
    return "P-" + "".join(choice(ALPHABET) for _ in range(6))
