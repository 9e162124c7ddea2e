"""Typed callback data of checkout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, Token


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
class HaveCode(Callback):
    """The review's "Have a code?": type a promo code next."""

    prefix: ClassVar[str] = "kh"
    token: Token


@dataclass(frozen=True)
class RemoveCode(Callback):
    """Take the promo code off the review."""

    prefix: ClassVar[str] = "kr"
    token: Token


@dataclass(frozen=True)
class Confirm(Callback):
    """Place the order."""

    prefix: ClassVar[str] = "ky"
    token: Token


@dataclass(frozen=True)
class ChooseShipping(Callback):
    """Choose a delivery method for the address given."""

    prefix: ClassVar[str] = "ksh"
    token: Token
    code: str


@dataclass(frozen=True)
class PickUp(Callback):
    """Collect the order at the shop (no address)."""

    prefix: ClassVar[str] = "kpu"
    token: Token
    code: str
