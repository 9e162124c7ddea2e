"""Completing delivered orders: "Received" from the customer, or by itself after
AUTO_COMPLETE_DAYS unless an after-sales request is open — on fakes with a pinned clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.orders.completion import AUTO_COMPLETE_ACTOR, Completion, CompletionConfig
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import OrderEvent
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.errors import IllegalTransitionError, NotFoundError
from tests.unit.fakes import FakeUnitOfWorkFactory
from tests.unit.shipping.test_tracking import ALICE, seed_shipped


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def deliver(uow: FakeUnitOfWorkFactory, clock: FixedClock, number: str, days_ago: float) -> int:
    """A delivered order whose delivery was `days_ago` days ago; its id."""
    order_id, _ = seed_shipped(uow.store, clock, number)
    uow.store.orders[order_id].status = OrderStatus.DELIVERED
    uow.store.order_events[order_id].append(
        OrderEvent(
            type=OrderEventType.DELIVERED,
            actor="system:tracking",
            at=clock.now() - timedelta(days=days_ago),
            from_status=OrderStatus.SHIPPED,
            to_status=OrderStatus.DELIVERED,
        )
    )
    return order_id


async def test_orders_delivered_long_enough_ago_complete_by_themselves(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    old = deliver(uow, clock, "AAAA-0001", days_ago=7)
    recent = deliver(uow, clock, "AAAA-0002", days_ago=6.9)
    stats = await Completion(
        uow, clock, CompletionConfig(auto_complete_days=7), flow=ORDER_FLOW
    ).auto_complete_due()

    assert (stats.completed, stats.skipped) == (1, 0)
    assert uow.store.orders[old].status == OrderStatus.COMPLETED
    assert uow.store.orders[recent].status == OrderStatus.DELIVERED
    event = uow.store.order_events[old][-1]
    assert (event.type, event.actor) == (OrderEventType.COMPLETED, AUTO_COMPLETE_ACTOR)


async def test_an_order_with_an_open_after_sales_request_is_not_completed(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id = deliver(uow, clock, "AAAA-0003", days_ago=30)
    uow.store.orders[order_id].after_sales_open = 1
    completion = Completion(uow, clock, CompletionConfig(auto_complete_days=7), flow=ORDER_FLOW)
    assert (await completion.auto_complete_due()).completed == 0
    assert uow.store.orders[order_id].status == OrderStatus.DELIVERED

    uow.store.orders[order_id].after_sales_open = 0  # the request was closed
    assert (await completion.auto_complete_due()).completed == 1
    assert uow.store.orders[order_id].status == OrderStatus.COMPLETED


async def test_the_sweep_goes_in_batches_and_is_idempotent(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    ids = [deliver(uow, clock, f"BBBB-{n:04d}", days_ago=8) for n in range(5)]
    completion = Completion(
        uow, clock, CompletionConfig(auto_complete_days=7, batch_size=2), flow=ORDER_FLOW
    )
    assert (await completion.auto_complete_due()).completed == 5
    assert (await completion.auto_complete_due()).completed == 0
    assert {uow.store.orders[i].status for i in ids} == {OrderStatus.COMPLETED}
    for order_id in ids:
        completed = [e for e in uow.store.order_events[order_id] if e.type == "completed"]
        assert len(completed) == 1


async def test_the_customer_completes_a_delivered_order_with_received(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id = deliver(uow, clock, "CCCC-0001", days_ago=1)
    order = await Completion(uow, clock, flow=ORDER_FLOW).confirm_received(ALICE, "cccc-0001")
    assert order.status == OrderStatus.COMPLETED
    event = uow.store.order_events[order_id][-1]
    assert (event.type, event.actor) == (OrderEventType.COMPLETED, f"customer:{ALICE}")


async def test_received_is_refused_for_someone_elses_or_an_undelivered_order(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    deliver(uow, clock, "DDDD-0001", days_ago=1)
    seed_shipped(uow.store, clock, "DDDD-0002")  # still on its way
    completion = Completion(uow, clock, flow=ORDER_FLOW)
    with pytest.raises(NotFoundError):
        await completion.confirm_received(ALICE + 1, "DDDD-0001")
    with pytest.raises(IllegalTransitionError):
        await completion.confirm_received(ALICE, "DDDD-0002")
    await completion.confirm_received(ALICE, "DDDD-0001")
    with pytest.raises(IllegalTransitionError):
        await completion.confirm_received(ALICE, "DDDD-0001")  # a double tap
