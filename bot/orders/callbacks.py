"""Typed callback data of the customer's orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo


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


def detail_of(number: str) -> OrderDetail:
    """The customer's detail of an order, on its first page."""
    return OrderDetail(OrderNo(number), 0)
