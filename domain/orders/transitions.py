"""The one place an order changes state: the machine decides, stock follows, an event is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.orders import lifecycle
from domain.orders.lifecycle import HOLDS_RESERVATION, STOCK_COMMITTED, OrderStatus
from domain.orders.model import Order, OrderEvent, PaymentMethod
from domain.ports import UnitOfWork
from domain.reviews.service import invite_review
from domain.shared.errors import IllegalTransitionError


async def apply_stock_effect(
    uow: UnitOfWork, order: Order, before: OrderStatus, after: OrderStatus
) -> None:
    """Move the order's units between reserved, committed and back on sale."""
    held_before, held_after = before in HOLDS_RESERVATION, after in HOLDS_RESERVATION
    for line in order.lines:
        if held_before and not held_after:
            if after in STOCK_COMMITTED:
                await uow.products.commit_reserved(line.product_id, line.quantity)
            else:
                await uow.products.release(line.product_id, line.quantity)
        elif before in STOCK_COMMITTED and after == OrderStatus.CANCELLED:
            await uow.products.restock(line.product_id, line.quantity)


async def transition(
    uow: UnitOfWork,
    order: Order,
    trigger: str,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> OrderEvent:
    """Run `trigger` on the order (IllegalTransitionError if the table forbids it), apply its
    stock effect, save the status and append the event. The caller commits."""
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
    await apply_stock_effect(uow, order, before, after)
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
    if trigger == "deliver" and order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        # The courier collected the money. Imported here: domain.payments builds on this module.
        from domain.payments.service import record_cash_on_delivery

        await record_cash_on_delivery(uow, order, actor=actor, at=at)
    if trigger == "complete":
        # Every way an order completes (the customer's "Received", the merchant, the
        # auto-completion job) invites its customer to review it, once per order.
        await invite_review(uow, order, at=at)
    return event


async def record(
    uow: UnitOfWork,
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
    return event
