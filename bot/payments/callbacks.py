"""Typed callback data of payments: invoices, transfer receipts, refunds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo


@dataclass(frozen=True)
class RefundOrder(Callback):
    """Admin: cancel a paid order with a refund (handled by the payments feature)."""

    prefix: ClassVar[str] = "$rf"
    number: OrderNo


# ---- payments: prefixes start with "$" (bot/payments/) ------------------------------------


@dataclass(frozen=True)
class PayNow(Callback):
    """Customer: send (again) the invoice of an unpaid order."""

    prefix: ClassVar[str] = "$pn"
    number: OrderNo


@dataclass(frozen=True)
class AskReceipt(Callback):
    """Customer: send the photo of a bank transfer receipt for an order."""

    prefix: ClassVar[str] = "$ps"
    number: OrderNo


@dataclass(frozen=True)
class ConfirmReceipt(Callback):
    """Admin: the transfer arrived; the order is paid."""

    prefix: ClassVar[str] = "$tc"
    receipt_id: int


@dataclass(frozen=True)
class AskRejectReceipt(Callback):
    """Admin: choose why a transfer receipt is not accepted."""

    prefix: ClassVar[str] = "$tx"
    receipt_id: int


@dataclass(frozen=True)
class RejectReceipt(Callback):
    """Admin: do not accept a transfer receipt, for a reason (amount, missing, unclear)."""

    prefix: ClassVar[str] = "$tr"
    receipt_id: int
    reason: str


@dataclass(frozen=True)
class ReceiptBack(Callback):
    """Admin: back to Confirm / Reject on a transfer receipt."""

    prefix: ClassVar[str] = "$tb"
    receipt_id: int


@dataclass(frozen=True)
class RefundPayment(Callback):
    """Admin: refund one payment (e.g. one that arrived for an expired order)."""

    prefix: ClassVar[str] = "$rp"
    payment_id: int


@dataclass(frozen=True)
class ConfirmRefund(Callback):
    """Admin: yes, refund that payment (and cancel its order if it paid one)."""

    prefix: ClassVar[str] = "$ry"
    payment_id: int


@dataclass(frozen=True)
class KeepPayment(Callback):
    """Admin: do not refund after all."""

    prefix: ClassVar[str] = "$rn"
    payment_id: int
