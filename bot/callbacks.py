"""Typed callback data: short prefixes, strict parsing, always within Telegram's 64 bytes.
Anything that does not parse exactly is treated as a stale or forged button."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

MAX_BYTES = 64
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,16}")
_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
_REGISTRY: dict[str, type[Callback]] = {}
C = TypeVar("C", bound="Callback")


class Callback:
    """Base of all callback payloads; subclasses are frozen dataclasses with a unique prefix."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix in _REGISTRY:
            raise ValueError(f"duplicate callback prefix {cls.prefix}")
        _REGISTRY[cls.prefix] = cls

    def pack(self) -> str:
        """Serialise as `prefix:field:field`; raises if it would exceed 64 bytes."""
        values = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        data = ":".join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {data}")
        return data

    @classmethod
    def matches(cls, data: object) -> bool:
        """Whether `data` parses as this type (used as a handler pattern)."""
        return isinstance(parse(data), cls)


def _convert(kind: Any, raw: str) -> Any:
    if kind in (int, "int"):
        if not re.fullmatch(r"-?[0-9]{1,12}", raw):
            raise ValueError(raw)
        return int(raw)
    if kind in ("Token", Token):
        if not _TOKEN.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in ("OrderNo", OrderNo):
        if not _NUMBER.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in (str, "str"):
        if not re.fullmatch(r"[a-z]{1,8}", raw):
            raise ValueError(raw)
        return raw
    raise TypeError(kind)


def parse(data: object) -> Callback | None:
    """The callback object for `data`, or None if it is not one we issue."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, *parts = data.split(":")
    cls = _REGISTRY.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(parts) != len(fields):
        return None
    try:
        values = [_convert(f.type, raw) for f, raw in zip(fields, parts, strict=True)]
    except (ValueError, TypeError):
        return None
    return cls(*values)


class Token(str):
    """A checkout token."""


class OrderNo(str):
    """An order number like 7KQ2-M9XD."""


# ---- the buttons we issue -------------------------------------------------------------------


@dataclass(frozen=True)
class Noop(Callback):
    """A label-only button (page counter)."""

    prefix: ClassVar[str] = "x"


@dataclass(frozen=True)
class Menu(Callback):
    """Back to the main menu."""

    prefix: ClassVar[str] = "m"


@dataclass(frozen=True)
class Help(Callback):
    """The help text."""

    prefix: ClassVar[str] = "h"


@dataclass(frozen=True)
class Categories(Callback):
    """The list of categories."""

    prefix: ClassVar[str] = "cats"


@dataclass(frozen=True)
class ProductList(Callback):
    """A page of a category."""

    prefix: ClassVar[str] = "pl"
    category_id: int
    page: int


@dataclass(frozen=True)
class ProductCard(Callback):
    """A product with a chosen quantity; category 0 means it was opened from search."""

    prefix: ClassVar[str] = "pc"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class AddToCart(Callback):
    """Add `qty` of a product to the cart."""

    prefix: ClassVar[str] = "pa"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class ShowCart(Callback):
    """The cart."""

    prefix: ClassVar[str] = "cart"


@dataclass(frozen=True)
class CartMore(Callback):
    """One more of a cart line."""

    prefix: ClassVar[str] = "ci"
    product_id: int


@dataclass(frozen=True)
class CartLess(Callback):
    """One fewer of a cart line."""

    prefix: ClassVar[str] = "cd"
    product_id: int


@dataclass(frozen=True)
class CartRemove(Callback):
    """Remove a cart line."""

    prefix: ClassVar[str] = "cr"
    product_id: int


@dataclass(frozen=True)
class Checkout(Callback):
    """Start checkout."""

    prefix: ClassVar[str] = "co"


@dataclass(frozen=True)
class UseAddress(Callback):
    """Deliver to a saved address."""

    prefix: ClassVar[str] = "ka"
    token: Token
    address_id: int


@dataclass(frozen=True)
class NewAddress(Callback):
    """Enter a new address."""

    prefix: ClassVar[str] = "kn"
    token: Token


@dataclass(frozen=True)
class PayWith(Callback):
    """Choose a payment method."""

    prefix: ClassVar[str] = "kp"
    token: Token
    method: str


@dataclass(frozen=True)
class CheckoutBack(Callback):
    """One checkout step back."""

    prefix: ClassVar[str] = "kb"
    token: Token


@dataclass(frozen=True)
class CheckoutCancel(Callback):
    """Leave checkout."""

    prefix: ClassVar[str] = "kc"
    token: Token


@dataclass(frozen=True)
class Confirm(Callback):
    """Place the order."""

    prefix: ClassVar[str] = "ky"
    token: Token


@dataclass(frozen=True)
class OrderList(Callback):
    """A page of the customer's orders."""

    prefix: ClassVar[str] = "ol"
    page: int


@dataclass(frozen=True)
class OrderDetail(Callback):
    """One order."""

    prefix: ClassVar[str] = "od"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class AskCancelOrder(Callback):
    """Ask before cancelling an order."""

    prefix: ClassVar[str] = "oc"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class CancelOrder(Callback):
    """Cancel the order."""

    prefix: ClassVar[str] = "oy"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class RefundOrder(Callback):
    """Admin: cancel a paid order with a refund (handled by the payments feature)."""

    prefix: ClassVar[str] = "$rf"
    number: OrderNo


@dataclass(frozen=True)
class SetLanguage(Callback):
    """Choose the bot's language."""

    prefix: ClassVar[str] = "lg"
    code: str
