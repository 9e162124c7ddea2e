"""Typed callback data of the cart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo


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
class PutBackInCart(Callback):
    """Put the items of a cancelled (e.g. expired) order back in the cart."""

    prefix: ClassVar[str] = "cb"
    number: OrderNo
