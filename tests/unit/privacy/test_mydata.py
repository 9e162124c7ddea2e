"""/mydata's use cases on the fakes: the export document, the erasure and its refusal while an
order still needs the customer, both in the audit log without personal data."""

from __future__ import annotations

import json

import pytest

from domain.checkout.model import Address
from domain.orders.lifecycle import OrderStatus
from domain.privacy.mydata import PLACEHOLDER, MyData, OrdersStillOpenError
from domain.reviews.records import Review
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer
from tests.contract import seed
from tests.contract.seed import at
from tests.unit.fakes import FakeUnitOfWorkFactory

PERSONAL = ["Zhang", "+8613800138000", "8 West Lake Road", "loved it"]


async def _shop() -> tuple[FakeUnitOfWorkFactory, int]:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        await uow.customers.upsert(Customer(id=41, first_name="Zhang", username="zhang_w"))
        await uow.customers.set_verified_phone(41, "+8613800138000")
        await uow.addresses.add(Address(0, 41, "Zhang", "+8613800138000", "8 West Lake Road"))
        await uow.commit()
    order_id = await seed.order(factory, "AAAA-0001", customer_id=41, status=OrderStatus.COMPLETED)
    async with factory() as uow:
        await uow.reviews.save(Review(order_id, 41, 4, at(1), at(1), comment="loved it"))
        await uow.commit()
    return factory, order_id


async def test_the_export_holds_profile_addresses_orders_and_reviews_and_is_audited() -> None:
    factory, _ = await _shop()
    document = await MyData(factory, FixedClock(at(10))).export(41)
    assert document["customer"] == {
        "telegram_id": 41,
        "first_name": "Zhang",
        "username": "zhang_w",
        "language": None,
        "verified_phone": "+8613800138000",
    }
    assert document["addresses"] == [
        {"recipient": "Zhang", "phone": "+8613800138000", "address": "8 West Lake Road"}
    ]
    (order,) = document["orders"]
    assert (order["number"], order["status"], order["total"]) == ("AAAA-0001", "completed", "15.00")
    assert order["lines"][0]["quantity"] == 1 and order["recipient"] == "Ann"
    assert document["reviews"][0]["comment"] == "loved it"
    json.dumps(document)  # a JSON document as it is
    (entry,) = factory.store.audit
    assert (entry.actor, entry.action, entry.customer_id) == ("customer:41", "customer_export", 41)
    assert not [p for p in PERSONAL if p in json.dumps(entry.details)]


async def test_erasure_removes_the_person_keeps_the_order_and_is_audited() -> None:
    factory, order_id = await _shop()
    erased = await MyData(factory, FixedClock(at(10))).erase(41)
    assert (erased.orders, erased.addresses, erased.reviews) == (1, 1, 1)
    order = factory.store.orders[order_id]
    assert (order.recipient, order.phone, order.address_text) == (PLACEHOLDER,) * 3
    assert order.status == OrderStatus.COMPLETED and order.total.amount == 1500
    assert factory.store.customers[41].first_name == PLACEHOLDER
    after = await MyData(factory, FixedClock(at(11))).export(41)
    assert not [p for p in PERSONAL if p in json.dumps(after)]
    entry = factory.store.audit[0]
    assert (entry.actor, entry.action, entry.customer_id) == ("customer:41", "customer_erase", 41)
    assert not [p for p in PERSONAL if p in json.dumps(entry.details)]


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.SHIPPED],
)
async def test_erasure_waits_while_an_order_still_needs_the_address(status: OrderStatus) -> None:
    factory, _ = await _shop()
    await seed.order(factory, "AAAA-0002", customer_id=41, status=status)
    before = factory.store.snapshot()
    mydata = MyData(factory, FixedClock(at(10)))
    assert await mydata.open_orders(41) == ["AAAA-0002"]
    with pytest.raises(OrdersStillOpenError) as refused:
        await mydata.erase(41)
    assert refused.value.numbers == ["AAAA-0002"]
    assert factory.store.snapshot() == before  # nothing changed, nothing recorded


async def test_erasure_waits_while_an_after_sales_request_is_in_progress() -> None:
    factory, order_id = await _shop()
    factory.store.orders[order_id].after_sales_open = 1
    with pytest.raises(OrdersStillOpenError):
        await MyData(factory, FixedClock(at(10))).erase(41)
    assert factory.store.customers[41].first_name == "Zhang"
