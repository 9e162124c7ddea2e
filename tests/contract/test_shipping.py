"""Shipments, their tracking state and the checkpoints carriers report."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from domain.orders.lifecycle import OrderStatus
from domain.shared.errors import DuplicateError
from domain.shipping.carriers import Shipment
from domain.shipping.tracking_records import (
    Checkpoint,
    StoredCheckpoint,
    TrackedShipment,
    TrackingState,
    TrackingStatus,
)
from tests.contract import seed
from tests.contract.seed import Factory, at

LEASE = 60.0  # seconds


def _shipment(order_id: int, key: str, shipped_at: datetime, **fields: object) -> Shipment:
    values: dict[str, object] = {
        "order_id": order_id,
        "carrier_code": "ups",
        "carrier_name": "UPS",
        "tracking_number": f"1Z{key}",
        "tracking_url": f"https://ups.example/{key}",
        "actor": "admin:1",
        "shipped_at": shipped_at,
        "key": key,
    }
    values.update(fields)
    return Shipment(**values)  # type: ignore[arg-type]


async def _shipped(
    uow_factory: Factory, number: str, *shipped_at: float, status: OrderStatus = OrderStatus.SHIPPED
) -> tuple[int, list[int]]:
    order_id = await seed.order(uow_factory, number, status=status)
    async with uow_factory() as uow:
        ids = [
            await uow.shipments.add(_shipment(order_id, f"{number}-{n}", at(minutes)))
            for n, minutes in enumerate(shipped_at)
        ]
        await uow.commit()
    return order_id, ids


async def test_shipments_are_listed_per_order_in_the_order_they_left(uow_factory: Factory) -> None:
    first = await seed.order(uow_factory, "A-1")
    second = await seed.order(uow_factory, "A-2")
    await seed.order(uow_factory, "A-3")
    async with uow_factory() as uow:
        late = await uow.shipments.add(_shipment(first, "k1", at(5), note="fragile"))
        early = await uow.shipments.add(_shipment(first, "k2", at(1), tracking_url=None))
        other = await uow.shipments.add(_shipment(second, "k3", at(1)))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.shipments.for_orders([first, second, first + 1000])
        assert await uow.shipments.for_orders([]) == {}
    assert found == {
        first: [
            _shipment(first, "k2", at(1), tracking_url=None, id=early),
            _shipment(first, "k1", at(5), note="fragile", id=late),
        ],
        second: [_shipment(second, "k3", at(1), id=other)],
    }


async def test_a_shipment_is_recorded_once_per_key(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        await uow.shipments.add(_shipment(order_id, "k1", at(1)))
        with pytest.raises(DuplicateError):
            await uow.shipments.add(_shipment(order_id, "k1", at(2), tracking_number="other"))


async def _claim(uow_factory: Factory, minutes: float, limit: int = 10) -> list[TrackedShipment]:
    async with uow_factory() as uow:
        claimed = await uow.tracking.claim_due(at(minutes), limit, LEASE)
        await uow.commit()
    return claimed


async def test_claim_due_takes_shipments_of_shipped_orders_never_polled(
    uow_factory: Factory,
) -> None:
    order_id, [shipment] = await _shipped(uow_factory, "A-1", 0)
    await _shipped(uow_factory, "A-2", 0, status=OrderStatus.DELIVERED)
    await _shipped(uow_factory, "A-3", 0, status=OrderStatus.PAID)
    assert await _claim(uow_factory, 0) == [
        TrackedShipment(shipment, order_id, "A-1", "ups", "UPS", "1ZA-1-0", at(0), None, 0)
    ]


async def test_claim_due_leases_what_it_takes(uow_factory: Factory) -> None:
    await _shipped(uow_factory, "A-1", 0)
    assert len(await _claim(uow_factory, 0)) == 1
    assert await _claim(uow_factory, 0.5) == []
    assert len(await _claim(uow_factory, 1)) == 1  # due again when the lease runs out


async def test_claim_due_takes_the_longest_waiting_first_and_returns_them_by_shipping_time(
    uow_factory: Factory,
) -> None:
    _, [a] = await _shipped(uow_factory, "A-1", 1)
    _, [b] = await _shipped(uow_factory, "A-2", 2)
    _, [c] = await _shipped(uow_factory, "A-3", 3)
    async with uow_factory() as uow:
        await uow.tracking.save_state(TrackingState(a, next_poll_at=at(10)), at(0))
        await uow.tracking.save_state(TrackingState(c, next_poll_at=at(0)), at(0))
        await uow.commit()
    assert [s.shipment_id for s in await _claim(uow_factory, 5, limit=1)] == [c]
    # Next polls due: b at 2 (shipped, never polled), c at 6 (its lease), a at 10.
    assert [s.shipment_id for s in await _claim(uow_factory, 20, limit=2)] == [b, c]
    assert [s.shipment_id for s in await _claim(uow_factory, 20, limit=2)] == [a]


async def test_claim_due_skips_delivered_shipments_and_those_polled_recently(
    uow_factory: Factory,
) -> None:
    _, [delivered, waiting, failing, unknown] = await _shipped(uow_factory, "A-1", 0, 1, 2, 3)
    async with uow_factory() as uow:
        state = TrackingState(delivered, TrackingStatus.DELIVERED, next_poll_at=None)
        await uow.tracking.save_state(state, at(0))
        await uow.tracking.save_state(TrackingState(waiting, next_poll_at=at(30)), at(0))
        await uow.tracking.save_state(
            TrackingState(failing, TrackingStatus.EXCEPTION, 3, next_poll_at=at(5)), at(0)
        )
        await uow.tracking.save_state(TrackingState(unknown), at(0))
        await uow.commit()
    claimed = await _claim(uow_factory, 5)
    assert [(s.shipment_id, s.status, s.streak) for s in claimed] == [
        (failing, TrackingStatus.EXCEPTION, 3),
        (unknown, None, 0),
    ]


async def test_latest_shipment_is_the_last_to_leave_with_its_tracking_state(
    uow_factory: Factory,
) -> None:
    order_id, [_, last, _] = await _shipped(uow_factory, "A-1", 1, 5, 3)
    async with uow_factory() as uow:
        state = TrackingState(last, TrackingStatus.IN_TRANSIT, 2, at(6), at(9), "slow", polled=True)
        await uow.tracking.save_state(state, at(6))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.tracking.latest_shipment(order_id)
        assert await uow.tracking.latest_shipment(order_id + 1000) is None
    assert found is not None
    assert (found.shipment_id, found.shipped_at) == (last, at(5))
    assert (found.status, found.streak) == (TrackingStatus.IN_TRANSIT, 2)


async def test_save_state_replaces_the_status_and_next_poll(uow_factory: Factory) -> None:
    _, [shipment] = await _shipped(uow_factory, "A-1", 0)
    async with uow_factory() as uow:
        await uow.tracking.save_state(
            TrackingState(shipment, TrackingStatus.IN_TRANSIT, 4, next_poll_at=at(50)), at(0)
        )
        await uow.tracking.save_state(
            TrackingState(shipment, TrackingStatus.OUT_FOR_DELIVERY, 1, next_poll_at=at(20)), at(1)
        )
        await uow.commit()
    assert await _claim(uow_factory, 19) == []
    [claimed] = await _claim(uow_factory, 20)
    assert (claimed.status, claimed.streak) == (TrackingStatus.OUT_FOR_DELIVERY, 1)


def _checkpoint(
    key: str, minutes: float, status: TrackingStatus = TrackingStatus.IN_TRANSIT
) -> Checkpoint:
    return Checkpoint(key, status, at(minutes), location="Depot", message=f"scan {key}")


async def test_a_checkpoint_is_stored_once_per_shipment(uow_factory: Factory) -> None:
    order_id, [first, second] = await _shipped(uow_factory, "A-1", 0, 1)
    async with uow_factory() as uow:
        tracking = uow.tracking
        assert await tracking.add_checkpoint(
            first, order_id, _checkpoint("k1", 2), source="poll", actor="ups", at=at(3)
        )
        assert not await tracking.add_checkpoint(
            first, order_id, _checkpoint("k1", 9), source="push", actor="x", at=at(9)
        )
        assert await tracking.add_checkpoint(
            second, order_id, _checkpoint("k1", 1), source="poll", actor="ups", at=at(3)
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.tracking.checkpoints(order_id)
    assert found == [
        StoredCheckpoint(_checkpoint("k1", 1), second, "poll", "ups", at(3)),
        StoredCheckpoint(_checkpoint("k1", 2), first, "poll", "ups", at(3)),
    ]


async def test_checkpoints_come_back_by_when_they_happened_then_as_recorded(
    uow_factory: Factory,
) -> None:
    order_id, [shipment] = await _shipped(uow_factory, "A-1", 0)
    other, [elsewhere] = await _shipped(uow_factory, "A-2", 0)
    delivered = TrackingStatus.DELIVERED
    async with uow_factory() as uow:
        for key, minutes in [("c", 5), ("a", 1), ("b", 5)]:
            await uow.tracking.add_checkpoint(
                shipment, order_id, _checkpoint(key, minutes), source="poll", actor="ups", at=at(9)
            )
        await uow.tracking.add_checkpoint(
            elsewhere, other, _checkpoint("z", 0, delivered), source="poll", actor="ups", at=at(9)
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.tracking.checkpoints(order_id)
        assert await uow.tracking.checkpoints(order_id + 1000) == []
    assert [c.checkpoint.key for c in found] == ["a", "c", "b"]
    assert replace(found[0].checkpoint) == _checkpoint("a", 1)
