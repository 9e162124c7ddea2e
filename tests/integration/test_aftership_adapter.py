"""The AfterShip adapter against a local fake of the API: registering numbers, reading
checkpoints in batches, and every fault turned into a failure for the job to retry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.shipping.aftership import AfterShipTracker
from domain.shipping.tracking_records import (
    TrackedShipment,
    TrackingFailure,
    TrackingStatus,
    TrackingUpdate,
)
from tests.carrier.fake_aftership import FakeAfterShip

KEY = "test-aftership-key"
S = TrackingStatus


@pytest.fixture
async def carrier() -> AsyncIterator[FakeAfterShip]:
    fake = await FakeAfterShip(api_key=KEY).start()
    try:
        yield fake
    finally:
        await fake.stop()


def shipment(n: int, number: str, carrier_code: str = "sf") -> TrackedShipment:
    return TrackedShipment(
        shipment_id=n,
        order_id=100 + n,
        order_number=f"ORD{n}-AAAA",
        carrier_code=carrier_code,
        carrier_name="SF Express",
        tracking_number=number,
        shipped_at=datetime.now(UTC) - timedelta(days=2),
    )


def tracker(carrier: FakeAfterShip, timeout: float = 2.0, key: str = KEY) -> AfterShipTracker:
    client = httpx.AsyncClient(timeout=timeout, headers={"as-api-key": key})
    return AfterShipTracker(key, carrier.url, client=client)


async def test_a_new_number_is_registered_then_its_checkpoints_are_read(
    carrier: FakeAfterShip,
) -> None:
    number = "SF1234567890123"
    carrier.ship("sf-express", number)
    carrier.checkpoint("sf-express", number, "InfoReceived", "Order info received", "Shenzhen")
    adapter = tracker(carrier)

    first = await adapter.poll([shipment(1, number)])
    assert isinstance(first[1], TrackingUpdate)
    [created] = carrier.calls("POST")
    assert created[2] == {
        "tracking": {
            "tracking_number": number,
            "order_number": "ORD1-AAAA",
            "title": "ORD1-AAAA",
            "slug": "sf-express",
        }
    }

    carrier.checkpoint("sf-express", number, "InTransit", "Departed", "Shenzhen hub")
    second = await adapter.poll([shipment(1, number)])
    update = second[1]
    assert isinstance(update, TrackingUpdate)
    assert [c.status for c in update.checkpoints] == [S.INFO_RECEIVED, S.IN_TRANSIT]
    assert update.status == S.IN_TRANSIT
    assert len(carrier.calls("POST")) == 1, "registered once"
    [listing] = carrier.calls("GET", "tracking_numbers=")[-1:]
    assert "created_at_min=" in listing[1]


async def test_shipments_are_asked_about_fifty_at_a_time(carrier: FakeAfterShip) -> None:
    numbers = [f"SF{n:013d}" for n in range(120)]
    for number in numbers:
        carrier.ship("sf-express", number, registered=True)
        carrier.checkpoint("sf-express", number, "InTransit", "moving")
    results = await tracker(carrier).poll([shipment(n, num) for n, num in enumerate(numbers)])
    assert len(carrier.calls("GET", "tracking_numbers=")) == 3
    assert all(isinstance(r, TrackingUpdate) and r.checkpoints for r in results.values())
    assert len(results) == 120


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_a_server_error_fails_the_batch_for_a_later_retry(
    carrier: FakeAfterShip, status: int
) -> None:
    carrier.ship("sf-express", "SF1", registered=True)
    carrier.fail_next(status)
    results = await tracker(carrier).poll([shipment(1, "SF1"), shipment(2, "SF2")])
    assert results == {
        1: TrackingFailure(f"HTTP {status}"),
        2: TrackingFailure(f"HTTP {status}"),
    }


async def test_a_slow_answer_times_out(carrier: FakeAfterShip) -> None:
    carrier.slow_next(1.0)
    results = await tracker(carrier, timeout=0.2).poll([shipment(1, "SF1")])
    assert results == {1: TrackingFailure("timeout")}


async def test_malformed_json_is_a_failure(carrier: FakeAfterShip) -> None:
    carrier.malformed_next()
    [result] = (await tracker(carrier).poll([shipment(1, "SF1")])).values()
    assert isinstance(result, TrackingFailure) and result.error.startswith("malformed response")


async def test_a_number_no_carrier_knows_is_reported_unknown(carrier: FakeAfterShip) -> None:
    carrier.unknown.add("SF404")
    [result] = (await tracker(carrier).poll([shipment(1, "SF404")])).values()
    assert result == TrackingFailure("unknown tracking number (AfterShip 4012)", unknown=True)


async def test_a_refused_api_key_is_a_failure(carrier: FakeAfterShip) -> None:
    [result] = (await tracker(carrier, key="wrong").poll([shipment(1, "SF1")])).values()
    assert isinstance(result, TrackingFailure) and "401" in result.error


async def test_a_carrier_without_a_slug_is_detected_by_aftership(carrier: FakeAfterShip) -> None:
    carrier.ship("yunexpress", "YT2412345678901234")
    carrier.checkpoint("yunexpress", "YT2412345678901234", "InTransit", "moving")
    adapter = tracker(carrier)
    await adapter.poll([shipment(1, "YT2412345678901234", carrier_code="other")])
    [created] = carrier.calls("POST")
    assert "slug" not in created[2]["tracking"]
    result = (await adapter.poll([shipment(1, "YT2412345678901234", carrier_code="other")]))[1]
    assert isinstance(result, TrackingUpdate) and result.status == S.IN_TRANSIT
