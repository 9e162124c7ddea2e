"""The order lifecycle: one `transitions` machine, reviewed as a table, enforced in one place."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from domain.shared.errors import IllegalTransitionError
from domain.shared.machine import StateMachine


class OrderStatus(StrEnum):
    """Where an order stands."""

    # Placed with stock reserved; waiting for an online payment or a bank transfer (expires).
    PENDING_PAYMENT = "pending_payment"
    # Cash on delivery accepted: stock reserved, to be shipped, paid to the courier.
    CONFIRMED = "confirmed"
    PAID = "paid"  # payment received, stock committed, waiting to be shipped
    SHIPPED = "shipped"  # handed to a carrier
    DELIVERED = "delivered"  # the carrier or customer reported delivery
    COMPLETED = "completed"  # closed after delivery; after-sales window counts from delivery
    CANCELLED = "cancelled"  # cancelled or expired; its stock was released or restocked


S = OrderStatus

# Named groups, so rules read as words.
CANCELLABLE_BY_CUSTOMER = frozenset({S.PENDING_PAYMENT, S.CONFIRMED})  # unpaid, not shipped
HOLDS_RESERVATION = frozenset({S.PENDING_PAYMENT, S.CONFIRMED})  # units reserved, not taken
STOCK_COMMITTED = frozenset({S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED})  # units taken
PAYABLE = frozenset({S.PENDING_PAYMENT})
TO_SHIP = frozenset({S.PAID, S.CONFIRMED})
OPEN = frozenset({S.PENDING_PAYMENT, S.CONFIRMED, S.PAID, S.SHIPPED, S.DELIVERED})
FINAL = frozenset({S.COMPLETED, S.CANCELLED})


class OrderEventType(StrEnum):
    """What happened to an order (past tense). Each transition records one; other events
    (notes, payments recorded, tracking) are appended without a status change."""

    PLACED = "placed"
    CONFIRMED = "confirmed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NOTE_ADDED = "note_added"
    # payments (domain/payments.py)
    PAYMENT_REMINDED = "payment_reminded"  # the customer was reminded to pay
    PAYMENT_FLAGGED = "payment_flagged"  # money arrived that the order could not take
    RECEIPT_SUBMITTED = "receipt_submitted"  # a bank transfer receipt awaits review
    RECEIPT_REJECTED = "receipt_rejected"  # the merchant did not accept a transfer receipt
    REFUNDED = "refunded"  # a payment was given back
    REFUND_FAILED = "refund_failed"  # a refund was attempted and refused


# The whole table of allowed steps. Later features add rows here, nowhere else.
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "confirm_cod", "source": S.PENDING_PAYMENT, "dest": S.CONFIRMED},
    {"trigger": "pay", "source": S.PENDING_PAYMENT, "dest": S.PAID},
    {"trigger": "ship", "source": [S.PAID, S.CONFIRMED], "dest": S.SHIPPED},
    {"trigger": "deliver", "source": S.SHIPPED, "dest": S.DELIVERED},
    {"trigger": "complete", "source": S.DELIVERED, "dest": S.COMPLETED},
    {"trigger": "cancel", "source": [S.PENDING_PAYMENT, S.CONFIRMED, S.PAID], "dest": S.CANCELLED},
    {"trigger": "expire", "source": S.PENDING_PAYMENT, "dest": S.CANCELLED},
]

EVENT_FOR_TRIGGER = {
    "confirm_cod": OrderEventType.CONFIRMED,
    "pay": OrderEventType.PAID,
    "ship": OrderEventType.SHIPPED,
    "deliver": OrderEventType.DELIVERED,
    "complete": OrderEventType.COMPLETED,
    "cancel": OrderEventType.CANCELLED,
    "expire": OrderEventType.EXPIRED,
}

_MACHINE = StateMachine(OrderStatus, TRANSITIONS)


class _Holder:
    """A fresh model per step, so no trigger methods linger on entities."""

    def __init__(self, status: OrderStatus) -> None:
        self.status = status


def allowed_triggers(status: OrderStatus) -> list[str]:
    """The triggers the machine allows from a status, in table order."""
    return _MACHINE.triggers_from(OrderStatus(status))


def can(status: OrderStatus, trigger: str) -> bool:
    """Whether the machine allows `trigger` from `status`."""
    return trigger in allowed_triggers(status)


def next_status(status: OrderStatus, trigger: str) -> OrderStatus:
    """Run one trigger through the machine and return the new status, or raise."""
    return _MACHINE.step(
        _Holder(OrderStatus(status)),
        trigger,
        lambda: IllegalTransitionError(status=str(status), action=trigger),
    )


def event_type_for(trigger: str) -> OrderEventType:
    """The event type recorded when `trigger` succeeds."""
    return EVENT_FOR_TRIGGER[trigger]
