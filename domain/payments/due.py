"""How an unpaid order waits for its payment, for the customer's order screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.payments.base import PaymentsBase
from domain.payments.rules import TIMED_METHODS, payment_deadline


@dataclass(frozen=True)
class PaymentDue:
    """By when an unpaid order must be paid; `deadline` is None while a transfer receipt is
    with the shop for review (the order does not expire meanwhile)."""

    deadline: datetime | None

    @property
    def in_review(self) -> bool:
        """A transfer receipt awaits the shop's review."""
        return self.deadline is None


class Dues(PaymentsBase):
    """What an unpaid order waits for."""

    async def payment_due(self, order: Order) -> PaymentDue | None:
        """The order's payment deadline (the sweep's own rule), or None unless it waits for a
        payment that expires (invoice or bank transfer)."""
        if (
            order.id is None
            or order.status != OrderStatus.PENDING_PAYMENT
            or order.payment_method not in TIMED_METHODS
        ):
            return None
        async with self._uow(readonly=True) as uow:
            receipts = await uow.payments.receipts_for_order(order.id)
        return PaymentDue(payment_deadline(order, receipts, self.config.timeout))
