"""The one place an order changes state: the machine decides, stock follows, an event is kept,
and what the event sets off in other features runs in the same unit of work.

`transition` is the primitive (machine, compare-and-set status, stock effect, event);
`OrderFlow.step` is the path every use case takes: the transition, then the reactions declared
for its event. The reactions belong to features above this one (payments records the cash of a
delivered cash-on-delivery order, reviews invites a review of a completed one), so they are
given to the flow as data by `domain/reactions.py` instead of being imported here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.catalog.back_in_stock import queue_back_in_stock
from domain.orders import lifecycle
from domain.orders.lifecycle import HOLDS_RESERVATION, STOCK_COMMITTED, OrderStatus
from domain.orders.model import Order, OrderEvent
from domain.orders.ports import OrdersUnitOfWork
from domain.shared import journal
from domain.shared.errors import IllegalTransitionError

log = logging.getLogger(__name__)


async def apply_stock_effect(
    uow: OrdersUnitOfWork, order: Order, before: OrderStatus, after: OrderStatus
) -> list[int]:
    """Move the order's units between reserved, committed and back on sale; returns the
    products whose units came back on sale."""
    held_before, held_after = before in HOLDS_RESERVATION, after in HOLDS_RESERVATION
    back: list[int] = []
    for line in order.lines:
        if held_before and not held_after:
            if after in STOCK_COMMITTED:
                await uow.products.commit_reserved(line.product_id, line.quantity)
            else:
                await uow.products.release(line.product_id, line.quantity)
                back.append(line.product_id)
        elif before in STOCK_COMMITTED and after == OrderStatus.CANCELLED:
            await uow.products.restock(line.product_id, line.quantity)
            back.append(line.product_id)
    return back


async def transition(
    uow: OrdersUnitOfWork,
    order: Order,
    trigger: str,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> OrderEvent:
    """Run `trigger` on the order (IllegalTransitionError if the table forbids it), apply its
    stock effect, save the status and append the event. The caller commits. Use cases call
    `OrderFlow.step`, which runs this and then the event's reactions."""
    assert order.id is not None
    before = order.status
    after = lifecycle.next_status(before, trigger)
    order.status = after
    order.updated_at = at
    # Compare-and-set: if someone else moved the order meanwhile, this step is refused before
    # any stock moves (two admins pressing Ship at once make one shipment).
    if not await uow.orders.save_status(order, expected=before):
        order.status = before
        raise IllegalTransitionError(status=str(before), action=trigger, concurrent=True)
    back = await apply_stock_effect(uow, order, before, after)
    if back:  # customers waiting for these products hear of it (issue 16)
        await queue_back_in_stock(uow, back, at)
    event = OrderEvent(
        type=lifecycle.event_type_for(trigger),
        actor=actor,
        at=at,
        from_status=before,
        to_status=after,
        note=note,
        params=params or {},
    )
    await uow.orders.add_event(order.id, event)
    order.events.append(event)
    note_order_event(order, event)
    return event


def note_order_event(order: Order, event: OrderEvent) -> None:
    """One log line for the event, once the transaction commits (domain/shared/journal.py)."""
    journal.note(
        log,
        "order %s %s by %s",
        order.number,
        event.type.value,
        journal.who(event.actor),
        order=order.number,
        event=event.type.value,
    )


async def record(
    uow: OrdersUnitOfWork,
    order: Order,
    event_type: lifecycle.OrderEventType,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> OrderEvent:
    """Append an event that does not change the status (a note, a payment recorded, tracking)."""
    assert order.id is not None
    event = OrderEvent(type=event_type, actor=actor, at=at, note=note, params=params or {})
    await uow.orders.add_event(order.id, event)
    order.events.append(event)
    if event_type == lifecycle.OrderEventType.PAID:  # cash on delivery, paid when delivered
        note_order_event(order, event)
    return event


Reaction = Callable[[Any, Order, OrderEvent], Awaitable[None]]
"""What an order event sets off in another feature, in the caller's unit of work (typed `Any`:
the reacting feature needs its own repositories, and the composition root gives every use case
the whole unit of work)."""


@dataclass(frozen=True)
class OrderFlow:
    """The lifecycle with its reactions bound: every status change of an order goes through
    `step`. Built once, from `domain/reactions.py`, by the composition root."""

    reactions: Mapping[lifecycle.OrderEventType, Sequence[Reaction]] = field(default_factory=dict)

    async def step(
        self,
        uow: OrdersUnitOfWork,
        order: Order,
        trigger: str,
        *,
        actor: str,
        at: datetime,
        note: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> OrderEvent:
        """Move the order one step (see `transition`), then run what that step sets off."""
        event = await transition(uow, order, trigger, actor=actor, at=at, note=note, params=params)
        for react in self.reactions.get(event.type, ()):
            await react(uow, order, event)
        return event
