"""Closing delivered orders: the customer taps "Received", or the order completes by itself
`auto_complete_days` after delivery unless an after-sales request is open on it.

The delivery time is the order's DELIVERED event (every delivery goes through
`orders.transition`, so the event is always there). Storage also keeps it on the order, written
with the event, so the sweep finds due orders by an index, not by reading every delivered
order's timeline (issue 13); the rule below still reads the events of each due order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.orders.transitions import OrderFlow
from domain.shared.clock import Clock
from domain.shared.customers import customer_actor
from domain.shared.errors import IllegalTransitionError, NotFoundError
from domain.shared.journal import in_words
from domain.shared.numbers import normalize_order_number

if TYPE_CHECKING:
    from domain.orders.ports import OrdersUnitOfWork
    from domain.shared.ports import UnitOfWorkFactory

AUTO_COMPLETE_ACTOR = "system:auto-complete"


@dataclass(frozen=True)
class CompletionConfig:
    """When delivered orders close by themselves."""

    auto_complete_days: int = 7
    batch_size: int = 50

    @property
    def after(self) -> timedelta:
        """How long after delivery an order completes by itself."""
        return timedelta(days=self.auto_complete_days)


@dataclass
class CompletionStats:
    """What one auto-complete sweep did."""

    completed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return in_words((self.completed, "completed"), (self.skipped, "kept open by a request"))

    def __bool__(self) -> bool:  # whether the run did something worth a log line
        return self.completed > 0


def may_auto_complete(
    order: Order, delivered_at: datetime | None, now: datetime, after: timedelta
) -> bool:
    """The rule: delivered, delivered at least `after` ago, and no after-sales request open."""
    return (
        order.status == OrderStatus.DELIVERED
        and order.after_sales_open <= 0
        and delivered_at is not None
        and delivered_at <= now - after
    )


class Completion:
    """The completion use cases."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[OrdersUnitOfWork],
        clock: Clock,
        config: CompletionConfig | None = None,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config or CompletionConfig()

    async def confirm_received(self, customer_id: int, number: str) -> Order:
        """The customer says the parcel arrived: the order completes (IllegalTransitionError
        unless it is delivered; NotFoundError if it is not theirs)."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            await self._flow.step(uow, order, "complete", actor=customer_actor(customer_id), at=now)
            await uow.commit()
        return order

    async def auto_complete_due(self) -> CompletionStats:
        """Complete every order delivered long enough ago, in batches (one transaction each).
        Safe on several runners at once: the compare-and-set in `transition` lets one win."""
        stats = CompletionStats()
        for _ in range(10_000):  # a bound, not a limit: each batch removes its rows from view
            now = self._clock.now()
            cutoff = now - self.config.after
            completed = 0
            async with self._uow() as uow:
                due = await uow.sweeps.due_for_completion(cutoff, self.config.batch_size)
                for order_id in due:
                    if await self._complete(uow, order_id, now):
                        completed += 1
                    else:
                        stats.skipped += 1
                await uow.commit()
            stats.completed += completed
            if len(due) < self.config.batch_size or not completed:
                break
        return stats

    async def _complete(self, uow: OrdersUnitOfWork, order_id: int, now: datetime) -> bool:
        order = await uow.orders.get(order_id)
        if order is None:
            return False
        events = await uow.orders.events(order_id)
        delivered = [e.at for e in events if e.to_status == OrderStatus.DELIVERED]
        if not may_auto_complete(order, max(delivered, default=None), now, self.config.after):
            return False  # changed since the query (a request opened, or already closed)
        try:
            await self._flow.step(
                uow,
                order,
                "complete",
                actor=AUTO_COMPLETE_ACTOR,
                at=now,
                params={"after_days": self.config.auto_complete_days},
            )
        except IllegalTransitionError:
            return False  # the customer tapped "Received" a moment ago
        return True
