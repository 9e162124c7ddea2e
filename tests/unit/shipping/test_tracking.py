"""Tracking: checkpoints stored once and pushed once, delivery, carrier failures and back-off,
and the merchant's own checkpoints (/track) — on fakes with a pinned clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.errors import IllegalTransitionError, InvalidInputError, NotFoundError
from domain.shared.money import Money
from domain.shipping.carriers import Shipment
from domain.shipping.tracking import TRACKING_ACTOR, Tracking, TrackingConfig
from domain.shipping.tracking_records import (
    Checkpoint,
    PollResult,
    TrackedShipment,
    TrackingFailure,
    TrackingStatus,
    TrackingUpdate,
    parse_status,
)
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ALICE = 1001
S = TrackingStatus


class FakeTracker:
    """Answers from a script: shipment id -> what the carrier says now."""

    name = "fake"
    polls = True

    def __init__(self) -> None:
        self.answers: dict[int, PollResult] = {}
        self.asked: list[list[int]] = []
        self.explode = False

    async def poll(self, shipments: Sequence[TrackedShipment]) -> dict[int, PollResult]:
        self.asked.append([s.shipment_id for s in shipments])
        if self.explode:
            raise RuntimeError("adapter bug")
        return {
            s.shipment_id: self.answers[s.shipment_id]
            for s in shipments
            if s.shipment_id in self.answers
        }


def seed_shipped(store: FakeStore, clock: FixedClock, number: str = "ABCD-EFGH") -> tuple[int, int]:
    """A shipped order of Alice's with one shipment; (order id, shipment id)."""
    store.customers[ALICE] = Customer(ALICE, "Alice", language=Language.EN)
    tea = store.add_product("Tea", Money(1000, "USD"), stock=5)
    order_id = store.new_id()
    store.orders[order_id] = Order(
        number=number,
        customer_id=ALICE,
        status=OrderStatus.SHIPPED,
        currency="USD",
        lines=[OrderLine(tea.id, tea.sku, "Tea", Money(1000, "USD"), 1)],
        shipping=Money(0, "USD"),
        payment_method=PaymentMethod.BANK_TRANSFER,
        recipient="Alice",
        phone="+12025550143",
        address_text="1 Main Street",
        created_at=clock.now() - timedelta(days=2),
        id=order_id,
    )
    store.order_events[order_id] = []
    shipment_id = store.new_id()
    store.merchant.shipments[shipment_id] = Shipment(
        order_id=order_id,
        carrier_code="sf",
        carrier_name="SF Express",
        tracking_number="SF1234567890123",
        tracking_url=None,
        actor="admin:1",
        shipped_at=clock.now() - timedelta(days=1),
        key=f"k{shipment_id}",
        id=shipment_id,
    )
    return order_id, shipment_id


def cp(key: str, status: TrackingStatus, at: datetime, where: str = "") -> Checkpoint:
    return Checkpoint(key=key, status=status, at=at, location=where, message=f"{status} msg")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def pushes(uow: FakeUnitOfWorkFactory) -> list[tuple[str, str]]:
    return [
        (e.notification.template, e.notification.params["code"])
        for e in uow.store.outbox.values()
        if e.notification.chat_id == ALICE
    ]


async def test_new_checkpoints_are_stored_and_pushed_once_each(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    _, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    tracking = Tracking(
        uow, clock, tracker, TrackingConfig(poll_every=timedelta(minutes=30)), flow=ORDER_FLOW
    )
    t0 = clock.now() - timedelta(hours=5)
    first = (cp("a", S.INFO_RECEIVED, t0), cp("b", S.IN_TRANSIT, t0 + timedelta(hours=1)))
    tracker.answers[shipment] = TrackingUpdate(first, S.IN_TRANSIT)

    stats = await tracking.poll_due()
    assert (stats.polled, stats.checkpoints) == (1, 2)
    assert pushes(uow) == [("track.push", "info_received"), ("track.push", "in_transit")]

    clock.advance(minutes=30)
    seen_again = (*first, cp("c", S.OUT_FOR_DELIVERY, t0 + timedelta(hours=4), "Depot"))
    tracker.answers[shipment] = TrackingUpdate(seen_again, S.OUT_FOR_DELIVERY)
    stats = await tracking.poll_due()
    assert stats.checkpoints == 1, "a checkpoint seen twice is pushed once"
    assert [code for _, code in pushes(uow)] == ["info_received", "in_transit", "out_for_delivery"]
    push = list(uow.store.outbox.values())[-1].notification
    assert push.language == Language.EN and push.dedupe_key == f"track:{shipment}:c"
    assert "Depot" in push.params["details"]
    assert len(uow.store.jobs.checkpoints) == 3


async def test_a_shipment_is_not_polled_again_before_its_time(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    _, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    tracker.answers[shipment] = TrackingUpdate((), None)
    tracking = Tracking(
        uow, clock, tracker, TrackingConfig(poll_every=timedelta(minutes=30)), flow=ORDER_FLOW
    )
    await tracking.poll_due()
    clock.advance(minutes=29)
    await tracking.poll_due()
    assert tracker.asked == [[shipment]]
    clock.advance(minutes=1)
    await tracking.poll_due()
    assert tracker.asked == [[shipment], [shipment]]


async def test_a_delivered_checkpoint_delivers_the_order_and_polling_stops(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    tracking = Tracking(uow, clock, tracker, flow=ORDER_FLOW)
    at = clock.now() - timedelta(hours=1)
    tracker.answers[shipment] = TrackingUpdate(
        (cp("x", S.OUT_FOR_DELIVERY, at), cp("y", S.DELIVERED, at + timedelta(minutes=30))),
        S.DELIVERED,
    )
    stats = await tracking.poll_due()

    assert stats.delivered == 1
    assert uow.store.orders[order_id].status == OrderStatus.DELIVERED
    [event] = uow.store.order_events[order_id]
    assert (event.type, event.actor) == (OrderEventType.DELIVERED, TRACKING_ACTOR)
    assert pushes(uow)[-1] == ("track.push_delivered", "delivered")
    assert uow.store.jobs.states[shipment].next_poll_at is None
    clock.advance(days=3)
    await tracking.poll_due()
    assert tracker.asked == [[shipment]], "a delivered shipment is not polled any more"


async def test_a_failure_changes_nothing_but_the_error_and_the_next_poll(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    config = TrackingConfig(poll_every=timedelta(minutes=30), max_backoff=timedelta(hours=4))
    tracking = Tracking(uow, clock, tracker, config, flow=ORDER_FLOW)
    waits = []
    for error in ("HTTP 500", "timeout", "malformed response", "unknown tracking number"):
        tracker.answers[shipment] = TrackingFailure(error, unknown=error.startswith("unknown"))
        stats = await tracking.poll_due()
        assert stats.failed == 1
        state = uow.store.jobs.states[shipment]
        assert state.last_error == error
        waits.append(state.next_poll_at - clock.now())
        clock.advance(seconds=(state.next_poll_at - clock.now()).total_seconds())
    assert waits == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=4)]
    assert uow.store.orders[order_id].status == OrderStatus.SHIPPED
    assert uow.store.jobs.checkpoints == {} and pushes(uow) == []

    tracker.answers[shipment] = TrackingUpdate((cp("a", S.IN_TRANSIT, clock.now()),), S.IN_TRANSIT)
    await tracking.poll_due()
    state = uow.store.jobs.states[shipment]
    assert (state.streak, state.last_error) == (0, None), "a good answer resets the back-off"
    assert state.next_poll_at == clock.now() + timedelta(minutes=30)


async def test_an_adapter_that_raises_fails_the_batch_but_not_the_job(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    _, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    tracker.explode = True
    stats = await Tracking(uow, clock, tracker, flow=ORDER_FLOW).poll_due()
    assert stats.failed == 1
    assert "RuntimeError" in str(uow.store.jobs.states[shipment].last_error)


async def test_an_exception_keeps_being_polled_with_back_off(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    _, shipment = seed_shipped(uow.store, clock)
    tracker = FakeTracker()
    tracking = Tracking(
        uow, clock, tracker, TrackingConfig(poll_every=timedelta(minutes=30)), flow=ORDER_FLOW
    )
    tracker.answers[shipment] = TrackingUpdate((cp("e", S.EXCEPTION, clock.now()),), S.EXCEPTION)
    await tracking.poll_due()
    first = uow.store.jobs.states[shipment].next_poll_at - clock.now()
    clock.advance(hours=1)
    await tracking.poll_due()
    second = uow.store.jobs.states[shipment].next_poll_at - clock.now()
    assert (first, second) == (timedelta(hours=1), timedelta(hours=2))
    assert pushes(uow) == [("track.push", "exception")], "the same checkpoint is not repeated"


async def test_only_shipped_orders_are_polled(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id, _ = seed_shipped(uow.store, clock)
    uow.store.orders[order_id].status = OrderStatus.DELIVERED  # the merchant marked it
    tracker = FakeTracker()
    await Tracking(uow, clock, tracker, flow=ORDER_FLOW).poll_due()
    assert tracker.asked == []


async def test_polls_go_in_batches(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> None:
    shipments = [seed_shipped(uow.store, clock, f"ORD{n:01d}-AAAA")[1] for n in range(5)]
    tracker = FakeTracker()
    for shipment in shipments:
        tracker.answers[shipment] = TrackingUpdate()
    stats = await Tracking(
        uow, clock, tracker, TrackingConfig(batch_size=2), flow=ORDER_FLOW
    ).poll_due()
    assert [len(batch) for batch in tracker.asked] == [2, 2, 1]
    assert stats.polled == 5


async def test_the_merchant_posts_a_checkpoint_and_the_customer_is_told(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id, shipment = seed_shipped(uow.store, clock)
    tracking = Tracking(uow, clock, FakeTracker(), flow=ORDER_FLOW)
    posted = await tracking.post("admin:7", "abcd-efgh", S.OUT_FOR_DELIVERY, "van 3", key="m1")
    assert posted.added and not posted.delivered
    assert pushes(uow) == [("track.push", "out_for_delivery")]
    again = await tracking.post("admin:7", "ABCD-EFGH", S.OUT_FOR_DELIVERY, "van 3", key="m1")
    assert not again.added, "a replayed command records nothing"
    assert len(pushes(uow)) == 1

    done = await tracking.post("admin:7", "ABCD-EFGH", S.DELIVERED, None, key="m2")
    assert done.delivered and done.order.status == OrderStatus.DELIVERED
    [event] = uow.store.order_events[order_id]
    assert event.actor == "admin:7"
    history = await tracking.history("ABCD-EFGH")
    assert [c.checkpoint.status for c in history.checkpoints] == [S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert uow.store.jobs.states[shipment].status == S.DELIVERED
    audited = [(e.actor, e.action, e.details["status"]) for e in uow.store.audit]
    assert audited == [
        ("admin:7", "order_track", "out_for_delivery"),  # the replay is not audited twice
        ("admin:7", "order_track", "delivered"),
    ]


async def test_posting_on_an_order_that_has_not_shipped_is_refused(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order_id, _ = seed_shipped(uow.store, clock)
    uow.store.orders[order_id].status = OrderStatus.PAID
    tracking = Tracking(uow, clock, FakeTracker(), flow=ORDER_FLOW)
    with pytest.raises(IllegalTransitionError) as refused:
        await tracking.post("admin:7", "ABCD-EFGH", S.IN_TRANSIT, None, key="m1")
    assert refused.value.key == "track.error.not_shipped"
    with pytest.raises(NotFoundError):
        await tracking.post("admin:7", "ZZZZ-ZZZZ", S.IN_TRANSIT, None, key="m2")
    assert uow.store.outbox == {}


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("transit", S.IN_TRANSIT),
        ("in-transit", S.IN_TRANSIT),
        ("IN_TRANSIT", S.IN_TRANSIT),
        ("out", S.OUT_FOR_DELIVERY),
        ("out for delivery", S.OUT_FOR_DELIVERY),
        ("info", S.INFO_RECEIVED),
        ("pickup", S.AVAILABLE_FOR_PICKUP),
        ("attempt", S.DELIVERY_ATTEMPTED),
        ("delivered", S.DELIVERED),
        ("exception", S.EXCEPTION),
    ],
)
def test_the_merchant_may_type_a_status_in_several_ways(typed: str, status: S) -> None:
    assert parse_status(typed) == status


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_status("teleported")
    assert refused.value.key == "track.error.status"
