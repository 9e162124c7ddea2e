"""The payment rules that need no database: which methods are paid by invoice and which
expire, the invoice payload (signed, so nothing the client sends back is trusted), why a payment
is refused or flagged, the payment deadline, and the texts each case is told with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.orders import lifecycle
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import (
    FlagReason,
    ReceiptStatus,
    RejectReason,
    TransferReceipt,
)
from domain.shared.errors import DomainError

ONLINE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.STARS})  # paid by invoice


TIMED_METHODS = ONLINE_METHODS | {PaymentMethod.BANK_TRANSFER}  # unpaid orders of these expire


STARS = "XTR"


SYSTEM_ACTOR = "system:payments"


_PAYLOAD = re.compile(r"([0-9A-Z]{4}-[0-9A-Z]{4})\.([A-Za-z0-9_-]{22})")


class PaymentError(DomainError):
    """A payment step is not possible now; the key says why (params: number, status...)."""

    key = "pay.error.generic"


class Refusal(StrEnum):
    """Why an invoice cannot be paid (answered at pre-checkout, or when one is asked for)."""

    UNKNOWN = "unknown"  # not an invoice we issued, or issued for other terms
    NOT_YOURS = "not_yours"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PAID = "paid"
    NOT_PAYABLE = "not_payable"  # e.g. cash on delivery, or shipped
    AMOUNT = "amount"
    CURRENCY = "currency"

    @property
    def key(self) -> str:
        """The text explaining the refusal."""
        return _REFUSAL_KEYS[self]


_REFUSAL_KEYS = {
    Refusal.UNKNOWN: "pay.refused.unknown",
    Refusal.NOT_YOURS: "pay.refused.not_yours",
    Refusal.CANCELLED: "pay.error.cancelled",
    Refusal.EXPIRED: "pay.error.expired",
    Refusal.PAID: "pay.error.paid",
    Refusal.NOT_PAYABLE: "pay.error.not_payable",
    Refusal.AMOUNT: "pay.refused.amount",
    Refusal.CURRENCY: "pay.refused.currency",
}


_FLAG_FOR_REFUSAL = {
    Refusal.UNKNOWN: FlagReason.UNKNOWN,
    Refusal.NOT_YOURS: FlagReason.NOT_YOURS,
    Refusal.CANCELLED: FlagReason.CANCELLED,
    Refusal.EXPIRED: FlagReason.EXPIRED,
    Refusal.PAID: FlagReason.PAID,
    Refusal.NOT_PAYABLE: FlagReason.NOT_PAYABLE,
    Refusal.AMOUNT: FlagReason.MISMATCH,
    Refusal.CURRENCY: FlagReason.MISMATCH,
}


FLAG_TEXTS = {  # what the merchant is told about a flagged payment
    FlagReason.UNKNOWN: "pay.flag.unknown",
    FlagReason.NOT_YOURS: "pay.flag.not_yours",
    FlagReason.MISMATCH: "pay.flag.mismatch",
    FlagReason.EXPIRED: "pay.flag.expired",
    FlagReason.CANCELLED: "pay.flag.cancelled",
    FlagReason.PAID: "pay.flag.paid",
    FlagReason.NOT_PAYABLE: "pay.flag.not_payable",
}


REJECT_TEMPLATES = {  # what the customer is told when a transfer receipt is not accepted
    RejectReason.AMOUNT: "pay.customer.rejected_amount",
    RejectReason.MISSING: "pay.customer.rejected_missing",
    RejectReason.UNCLEAR: "pay.customer.rejected_unclear",
}


REFUNDED_TEMPLATES = {  # what the customer is told when a payment is given back
    PaymentMethod.STARS: "pay.customer.refunded_stars",
    PaymentMethod.CARD: "pay.customer.refunded_card",
    PaymentMethod.BANK_TRANSFER: "pay.customer.refunded_bank",
    PaymentMethod.CASH_ON_DELIVERY: "pay.customer.refunded_bank",
    PaymentMethod.FREE: "pay.customer.refunded_free",  # nothing was paid: nothing goes back
}


_REVIEWED_KEYS = {
    ReceiptStatus.CONFIRMED: "pay.error.receipt_confirmed",
    ReceiptStatus.REJECTED: "pay.error.receipt_rejected",
    ReceiptStatus.REPLACED: "pay.error.receipt_replaced",
}


@dataclass(frozen=True)
class PaymentsConfig:
    """The settings payment rules depend on."""

    invoice_secret: bytes  # signs invoice payloads (derived from the bot token)
    timeout: timedelta = timedelta(minutes=30)
    reminder_after: timedelta | None = timedelta(minutes=15)  # None: no reminder
    admin_chat_id: int | None = None
    batch_size: int = 100


def _signature(secret: bytes, order: Order) -> str:
    message = f"{order.id}|{order.number}|{order.total.amount}|{order.currency}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def invoice_payload(secret: bytes, order: Order) -> str:
    """The invoice payload: the order number and an HMAC over (id, number, total, currency),
    so nothing the client sends back is trusted."""
    return f"{order.number}.{_signature(secret, order)}"


def payload_number(payload: str) -> str | None:
    """The order number a payload names (not yet verified), or None if it is not ours."""
    match = _PAYLOAD.fullmatch(payload or "")
    return match.group(1) if match else None


def payload_matches(secret: bytes, payload: str, order: Order) -> bool:
    """Whether the payload was issued by us for exactly this order and total."""
    match = _PAYLOAD.fullmatch(payload or "")
    return bool(
        match
        and match.group(1) == order.number
        and hmac.compare_digest(match.group(2), _signature(secret, order))
    )


def payment_deadline(
    order: Order, receipts: list[TransferReceipt], timeout: timedelta
) -> datetime | None:
    """When an unpaid order expires; None while a transfer receipt awaits review. A rejected
    receipt starts the payment time again."""
    if any(r.status == ReceiptStatus.SUBMITTED for r in receipts):
        return None
    start = order.created_at
    for receipt in receipts:
        if receipt.status == ReceiptStatus.REJECTED and receipt.reviewed_at is not None:
            start = max(start, receipt.reviewed_at)
    return start + timeout


def _closed_refusal(order: Order) -> Refusal:
    """Why an order that is not pending payment cannot take one."""
    if order.status == OrderStatus.CANCELLED:
        expired = any(e.type == OrderEventType.EXPIRED for e in order.events)
        return Refusal.EXPIRED if expired else Refusal.CANCELLED
    if order.status in lifecycle.STOCK_COMMITTED:
        return Refusal.PAID
    return Refusal.NOT_PAYABLE


def _error(refusal: Refusal, order: Order) -> PaymentError:
    return PaymentError(refusal.key, number=order.number, status=str(order.status))


def _minutes(span: timedelta) -> int:
    """Whole minutes, rounded up, at least one."""
    return max(math.ceil(span.total_seconds() / 60), 1)
