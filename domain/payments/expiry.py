"""The payment sweep: unpaid orders are reminded once, then expired (stock released), in
batches, each batch one transaction; safe on several runners at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.payments.base import PaymentsBase
from domain.payments.ports import (
    PaymentsUnitOfWork,
)
from domain.payments.rules import (
    ONLINE_METHODS,
    SYSTEM_ACTOR,
    TIMED_METHODS,
    _minutes,
    payment_deadline,
)
from domain.shared.customers import language_of
from domain.shared.errors import IllegalTransitionError
from domain.shared.journal import in_words
from domain.shared.money import money_param
from domain.shared.notifications import Notification


@dataclass
class SweepStats:
    """What one payment sweep did."""

    reminded: int = 0
    expired: int = 0

    def __str__(self) -> str:
        return in_words((self.expired, "orders expired"), (self.reminded, "reminded"))

    def __bool__(self) -> bool:  # whether the run did something worth a log line
        return bool(self.expired or self.reminded)


class Expiry(PaymentsBase):
    """The payment sweep."""

    async def sweep(self) -> SweepStats:
        """Expire what is overdue, then remind what is due (expired orders get no reminder).
        Safe to run on several runners at once."""
        expired = await self.expire_due()
        reminded = await self.remind_due()
        return SweepStats(reminded=reminded, expired=expired)

    async def expire_due(self) -> int:
        """Cancel unpaid orders whose payment time is over, release their stock, tell the
        customers; in batches, each batch one transaction."""
        total = 0
        for _ in range(10_000):  # a bound, not a limit: each batch removes its rows from view
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.payments.due_for_expiry(
                    TIMED_METHODS, now - self.config.timeout, self.config.batch_size
                )
                for order_id in due:
                    total += await self._expire(uow, order_id, now)
                await uow.commit()
            if len(due) < self.config.batch_size:
                break
        return total

    async def _expire(self, uow: PaymentsUnitOfWork, order_id: int, now: datetime) -> int:
        order = await uow.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return 0
        try:
            await self._flow.step(
                uow,
                order,
                "expire",
                actor=SYSTEM_ACTOR,
                at=now,
                note="not paid in time",
                params={"timeout_minutes": _minutes(self.config.timeout)},
            )
        except IllegalTransitionError:
            return 0  # paid or cancelled by someone else a moment ago
        customer = await uow.customers.get(order.customer_id)
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.expired",
                params={
                    "number": order.number,
                    "total": money_param(order.total),
                    "minutes": _minutes(self.config.timeout),
                },
                language=language_of(customer),
                buttons=self.actions.put_back(order.number),  # order it again in one tap
                dedupe_key=f"pay.expired:{order.number}",
            ),
            now,
        )
        return 1

    async def remind_due(self) -> int:
        """Remind customers whose unpaid order is past the reminder time, once per order."""
        if self.config.reminder_after is None:
            return 0
        total = 0
        for _ in range(10_000):
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.payments.due_for_reminder(
                    TIMED_METHODS, now - self.config.reminder_after, self.config.batch_size
                )
                for order_id in due:
                    total += await self._remind(uow, order_id, now)
                await uow.commit()
            if len(due) < self.config.batch_size:
                break
        return total

    async def _remind(self, uow: PaymentsUnitOfWork, order_id: int, now: datetime) -> int:
        order = await uow.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return 0
        receipts = await uow.payments.receipts_for_order(order_id)
        deadline = payment_deadline(order, receipts, self.config.timeout)
        if deadline is None or deadline <= now:
            return 0
        if not await uow.payments.claim_reminder(order_id, now):
            return 0  # another runner sent it
        await orders.record(uow, order, OrderEventType.PAYMENT_REMINDED, actor=SYSTEM_ACTOR, at=now)
        customer = await uow.customers.get(order.customer_id)
        online = order.payment_method in ONLINE_METHODS
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.reminder" if online else "pay.customer.reminder_bank",
                params={
                    "number": order.number,
                    "total": money_param(order.total),
                    "minutes": _minutes(deadline - now),
                },
                language=language_of(customer),
                buttons=(
                    self.actions.pay_now(order.number)
                    if online
                    else self.actions.send_receipt(order.number)
                ),
                dedupe_key=f"pay.reminder:{order.number}",
            ),
            now,
        )
        return 1
