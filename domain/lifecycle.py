"""The order lifecycle: one `transitions` machine, reviewed as a table, enforced in one place."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from transitions import Machine, MachineError

from domain.errors import IllegalTransitionError


class OrderStatus(StrEnum):
    """Where an order stands."""

    PENDING_PAYMENT = (
        "pending_payment"  # placed, stock reserved, waiting for the customer's payment
    )
    PAID = "paid"  # payment received, stock committed, waiting to be shipped
    SHIPPED = "shipped"  # handed to a carrier
    DELIVERED = "delivered"  # the carrier or customer reported delivery
    COMPLETED = "completed"  # closed after delivery; after-sales window counts from delivery
    CANCELLED = "cancelled"  # cancelled before fulfilment; reserved stock was released


# Named groups, so rules read as words.
CANCELLABLE_BY_CUSTOMER = frozenset({OrderStatus.PENDING_PAYMENT})
HOLDS_RESERVATION = frozenset({OrderStatus.PENDING_PAYMENT})
OPEN = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)
FINAL = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED})


class OrderEventType(StrEnum):
    """What happened to an order (past tense)."""

    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NOTE_ADDED = "note_added"


# The whole table of allowed steps. Later features add rows here, nowhere else.
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "pay", "source": OrderStatus.PENDING_PAYMENT, "dest": OrderStatus.PAID},
    {"trigger": "ship", "source": OrderStatus.PAID, "dest": OrderStatus.SHIPPED},
    {"trigger": "deliver", "source": OrderStatus.SHIPPED, "dest": OrderStatus.DELIVERED},
    {"trigger": "complete", "source": OrderStatus.DELIVERED, "dest": OrderStatus.COMPLETED},
    {
        "trigger": "cancel",
        "source": [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID],
        "dest": OrderStatus.CANCELLED,
    },
]

EVENT_FOR_TRIGGER = {
    "pay": OrderEventType.PAID,
    "ship": OrderEventType.SHIPPED,
    "deliver": OrderEventType.DELIVERED,
    "complete": OrderEventType.COMPLETED,
    "cancel": OrderEventType.CANCELLED,
}

_MACHINE = Machine(
    model=None,
    states=OrderStatus,
    transitions=TRANSITIONS,
    initial=None,
    auto_transitions=False,
    model_attribute="status",
)


class _Holder:
    """A fresh model per step, so no trigger methods linger on entities."""

    def __init__(self, status: OrderStatus) -> None:
        self.status = status


def allowed_triggers(status: OrderStatus) -> list[str]:
    """The triggers the machine allows from a status, in table order."""
    return list(_MACHINE.get_triggers(OrderStatus(status)))


def can(status: OrderStatus, trigger: str) -> bool:
    """Whether the machine allows `trigger` from `status`."""
    return trigger in allowed_triggers(status)


def next_status(status: OrderStatus, trigger: str) -> OrderStatus:
    """Run one trigger through the machine and return the new status, or raise."""
    holder = _Holder(OrderStatus(status))
    _MACHINE.add_model(holder, initial=holder.status)
    try:
        if trigger not in _MACHINE.events or not getattr(holder, f"may_{trigger}")():
            raise IllegalTransitionError(status=str(status), action=trigger)
        getattr(holder, trigger)()
    except MachineError as exc:
        raise IllegalTransitionError(status=str(status), action=trigger) from exc
    finally:
        _MACHINE.remove_model(holder)
    return OrderStatus(holder.status)


def event_type_for(trigger: str) -> OrderEventType:
    """The event type recorded when `trigger` succeeds."""
    return EVENT_FOR_TRIGGER[trigger]
