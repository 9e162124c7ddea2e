"""What the payments feature keeps: payments, refunds and bank transfer receipts, and the
repository it needs (attached to the unit of work as `uow.payments`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.orders.model import Order, PaymentMethod
from domain.shared.money import Money


class PaymentStatus(StrEnum):
    """What became of money received."""

    APPLIED = "applied"  # it paid its order
    FLAGGED = "flagged"  # no order could take it (expired, cancelled, paid twice): to refund
    REFUNDED = "refunded"  # given back to the customer


class FlagReason(StrEnum):
    """Why a payment could not be applied to its order."""

    UNKNOWN = "unknown"  # the invoice payload names no order of ours
    NOT_YOURS = "not_yours"  # paid by someone other than the order's customer
    MISMATCH = "mismatch"  # amount or currency differ from the order's total
    EXPIRED = "expired"  # the order had expired unpaid
    CANCELLED = "cancelled"  # the order had been cancelled
    PAID = "paid"  # the order had been paid already (a second payment)
    NOT_PAYABLE = "not_payable"  # the order is in a state that takes no payment


@dataclass
class Payment:
    """Money received for an order (or flagged, when no order could take it)."""

    order_id: int | None
    customer_id: int | None
    method: PaymentMethod
    amount: Money
    status: PaymentStatus
    received_at: datetime
    telegram_charge_id: str | None = None  # unique: a replayed update is recognised by it
    provider_charge_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # what Telegram sent, as it was
    flag_reason: FlagReason | None = None
    id: int | None = None


class RefundStatus(StrEnum):
    """Where a refund stands."""

    PENDING = "pending"  # recorded before asking Telegram; finished once Telegram confirms
    DONE = "done"  # the money went back (or, for provider and bank payments, was recorded so)
    FAILED = "failed"  # Telegram refused; may be tried again


@dataclass
class Refund:
    """Money of one payment given back: the whole payment (`request_id` None; at most one per
    payment), or what an after-sales request gives back (at most one per request)."""

    payment_id: int
    order_id: int | None
    method: PaymentMethod
    amount: Money
    status: RefundStatus
    actor: str
    created_at: datetime
    note: str | None = None
    error: str | None = None
    completed_at: datetime | None = None
    request_id: int | None = None  # the after-sales request refunded; None: the whole payment
    id: int | None = None


class ReceiptStatus(StrEnum):
    """Where a bank transfer receipt stands."""

    SUBMITTED = "submitted"  # waiting for the merchant; the order's expiry is paused meanwhile
    CONFIRMED = "confirmed"  # the merchant saw the money: the order is paid
    REJECTED = "rejected"  # not accepted; the order's payment time starts again
    REPLACED = "replaced"  # the customer sent a newer receipt for the same order


class RejectReason(StrEnum):
    """Why the merchant did not accept a transfer receipt."""

    AMOUNT = "amount"  # the amount transferred is not the order's total
    MISSING = "missing"  # no such transfer arrived
    UNCLEAR = "unclear"  # the photo cannot be read


@dataclass
class TransferReceipt:
    """A photo of a bank transfer receipt sent by the customer for one order."""

    order_id: int
    customer_id: int
    file_id: str
    status: ReceiptStatus
    submitted_at: datetime
    file_unique_id: str | None = None
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    reason: RejectReason | None = None
    id: int | None = None


class PaymentRepository(Protocol):
    """Payments, refunds, receipts, and the due-row queries of the payment sweep."""

    async def add(self, payment: Payment) -> int:
        """Insert a payment; DuplicateError if its Telegram charge id is known already."""

    async def get(self, payment_id: int) -> Payment | None: ...
    async def by_charge_id(self, telegram_charge_id: str) -> Payment | None: ...
    async def for_order(self, order_id: int) -> list[Payment]: ...
    async def set_status(
        self, payment_id: int, status: PaymentStatus, expected: PaymentStatus
    ) -> bool:
        """Move a payment to `status` only if it is still `expected`."""

    async def add_refund(self, refund: Refund) -> int:
        """Insert a refund; DuplicateError if its payment has a whole-payment refund already
        (`request_id` None), or its after-sales request has a refund already."""

    async def refund_of(self, payment_id: int) -> Refund | None:
        """The refund of the whole payment (not those of after-sales requests)."""

    async def refund_for_request(self, request_id: int) -> Refund | None:
        """The refund of an after-sales request."""

    async def save_refund(self, refund: Refund, expected: RefundStatus) -> bool:
        """Store status, error, note and completion time only if the stored status is
        still `expected` (two taps finish a refund once)."""

    async def add_receipt(self, receipt: TransferReceipt) -> int: ...
    async def receipt(self, receipt_id: int) -> TransferReceipt | None: ...
    async def receipts_for_order(self, order_id: int) -> list[TransferReceipt]: ...
    async def review_receipt(self, receipt: TransferReceipt, expected: ReceiptStatus) -> bool:
        """Store the review only if the stored status is still `expected`."""

    async def awaiting_transfer(self, customer_id: int) -> list[Order]:
        """The customer's orders that wait for a bank transfer, oldest first."""

    async def due_for_expiry(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        """Ids of unpaid orders whose payment time started at or before `cutoff`: placed then,
        with no receipt under review and none rejected after `cutoff`. On PostgreSQL the rows
        are locked (SKIP LOCKED), so two sweeps at once take different orders."""

    async def due_for_reminder(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        """Like `due_for_expiry`, for orders not reminded yet."""

    async def claim_reminder(self, order_id: int, at: datetime) -> bool:
        """Note that the order's reminder goes out; False if it went out already."""
