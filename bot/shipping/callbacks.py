"""Typed callback data of shipping: the customer's "Received"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo

# ---- jobs and tracking: prefixes start with "j" (bot/tracking.py) ---------------------------


@dataclass(frozen=True)
class Received(Callback):
    """Customer: the parcel arrived; complete the order (from its detail, on page `page`)."""

    prefix: ClassVar[str] = "jr"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class TrackPost(Callback):
    """Admin: record a tracking checkpoint of an order from /track's status buttons (`status`:
    the index of a TrackingStatus)."""

    prefix: ClassVar[str] = "jt"
    number: OrderNo
    status: int


@dataclass(frozen=True)
class ReceivedFromNotice(Callback):
    """Customer: the parcel arrived; complete the order (from the delivery notice)."""

    prefix: ClassVar[str] = "jrn"
    number: OrderNo
