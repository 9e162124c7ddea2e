"""What a refused duplicate leaves of the unit of work it happened in.

Every refused duplicate leaves the unit of work going, with its earlier work: orders, payments
and after-sales requests are refused by a unique constraint at an INSERT run in a SAVEPOINT;
shipments and refunds are looked up first and refused before any INSERT (and in a race, by the
constraint). The fakes do the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.after_sales.records import AfterSalesRequest, RequestKind, RequestStatus, ReturnReason
from domain.orders.model import PaymentMethod
from domain.payments.records import Payment, PaymentStatus, Refund, RefundStatus
from domain.ports import UnitOfWork
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shipping.carriers import Shipment
from tests.contract import seed
from tests.contract.seed import Factory, at, new_order

Write = Callable[[UnitOfWork], Awaitable[object]]


async def _writes(uow_factory: Factory, kind: str) -> Write:
    """A write that succeeds once and is refused as a duplicate the second time."""
    order_id = await seed.order(uow_factory, "A-1")
    product_id = await seed.product(uow_factory, "OTHER")
    money = Money(100, "USD")
    if kind == "order":
        return lambda uow: uow.orders.add(new_order("A-2", 7, {product_id: 1}, token="tok"))
    if kind == "payment":
        payment = Payment(order_id, 7, PaymentMethod.CARD, money, PaymentStatus.APPLIED, at(0), "c")
        return lambda uow: uow.payments.add(payment)
    if kind == "request":
        request = AfterSalesRequest(
            "R-1", order_id, 7, RequestKind.RETURN, RequestStatus.REQUESTED,
            ReturnReason.OTHER, [], at(0),
        )  # fmt: skip
        return lambda uow: uow.after_sales.add(request)
    if kind == "shipment":
        shipment = Shipment(order_id, "ups", "UPS", "1Z", None, "admin:1", at(0), "key")
        return lambda uow: uow.shipments.add(shipment)
    assert kind == "refund"
    async with uow_factory() as uow:
        payment_id = await uow.payments.add(
            Payment(order_id, 7, PaymentMethod.CARD, money, PaymentStatus.APPLIED, at(0), "c")
        )
        await uow.commit()
    refund = Refund(
        payment_id, order_id, PaymentMethod.CARD, money, RefundStatus.PENDING, "a", at(1)
    )
    return lambda uow: uow.payments.add_refund(refund)


async def _reserved(uow_factory: Factory, product_id: int) -> int:
    async with uow_factory(readonly=True) as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.reserved


@pytest.mark.parametrize("kind", ["order", "payment", "request", "shipment", "refund"])
async def test_a_refused_duplicate_leaves_the_rest_of_the_unit_of_work_intact(
    uow_factory: Factory, kind: str
) -> None:
    write = await _writes(uow_factory, kind)
    tea = await seed.product(uow_factory, "TEA")
    async with uow_factory() as uow:
        await write(uow)
        assert await uow.products.reserve(tea, 2)
        with pytest.raises(DuplicateError):
            await write(uow)
        assert await uow.products.reserve(tea, 1)
        await uow.commit()
    assert await _reserved(uow_factory, tea) == 3
