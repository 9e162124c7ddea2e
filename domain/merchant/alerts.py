"""The merchant's alerts for changes nobody in the admin chat made: an unpaid order cancelled
at its payment deadline, an order delivered (the carrier's tracking, a customer), an order
completed (the customer's "Received", the auto-completion job).

They are reactions to order events (declared in domain/reactions.py), so an alert is queued in
the outbox in the same transaction as the step: a crash before the commit leaves neither, a
step taken once alerts once (the dedupe key holds against a second queueing too), and a
replayed update that changes nothing queues nothing. What an admin did themselves is not
alerted: they are looking at it."""

from __future__ import annotations

from typing import Any

from domain.orders.lifecycle import OrderEventType
from domain.orders.model import Order, OrderEvent
from domain.orders.transitions import Reaction
from domain.shared.money import money_param
from domain.shared.notifications import Notification

ALERTED: dict[OrderEventType, str] = {
    OrderEventType.EXPIRED: "admin.order_expired",
    OrderEventType.DELIVERED: "admin.order_delivered",
    OrderEventType.COMPLETED: "admin.order_completed",
}
# Who took the step, as the alert says it (`how`: another text of the admin's catalog).
BY_CUSTOMER = "admin.by.customer"
BY_TRACKING = "admin.by.tracking"
BY_SYSTEM = "admin.by.system"


def _how(actor: str) -> str:
    if actor.startswith("customer:"):
        return BY_CUSTOMER
    if actor == "system:tracking":
        return BY_TRACKING
    return BY_SYSTEM


def merchant_alert(admin_chat_id: int) -> Reaction:
    """The reaction that alerts the admin chat about an order event it did not cause."""

    async def alert(uow: Any, order: Order, event: OrderEvent) -> None:
        template = ALERTED.get(event.type)
        if template is None or event.actor.startswith("admin:"):
            return
        customer = await uow.customers.get(order.customer_id)
        who = customer.first_name if customer else str(order.customer_id)
        if customer and customer.username:
            who = f"{who} (@{customer.username})"
        await uow.outbox.add(
            Notification(
                chat_id=admin_chat_id,
                template=template,
                params={
                    "number": order.number,
                    "customer": who,
                    "total": money_param(order.total),
                    "how": {"$text": _how(event.actor)},
                },
                dedupe_key=f"{template}:{order.number}",
            ),
            event.at,
        )

    return alert
