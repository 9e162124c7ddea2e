"""The order's shipping method snapshot (issue 16) is stored and read back as it was, on the
fakes, SQLite and PostgreSQL; an order without one (the flat fee) reads back without."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.orders.shipping_choice import ShippingChoice
from domain.shared.money import Money
from tests.contract import seed
from tests.contract.seed import T0, Factory, draft, new_order

EXPRESS = ShippingChoice("express", "delivery", {"en": "Express", "zh": "特快专递"})
PICKUP = ShippingChoice("pickup", "pickup", {"en": "Pickup"}, "1 Shop Street")


@pytest.mark.parametrize("choice", [EXPRESS, PICKUP, None])
async def test_the_shipping_method_comes_back_with_the_order(
    uow_factory: Factory, choice: ShippingChoice | None
) -> None:
    await seed.customer(uow_factory, 7)
    ids = await seed.products(uow_factory, draft("A"))
    placed = replace(
        new_order("A-1", 7, {ids["A"]: 1}), shipping=Money(1500, "USD"), shipping_method=choice
    )
    async with uow_factory() as uow:
        order_id = await uow.orders.add(placed)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.orders.get(order_id)
        by_number = await uow.orders.get_by_number("A-1")
    assert found == by_number == replace(placed, id=order_id, updated_at=T0)
    assert found is not None and found.shipping_method == choice
    assert found.total == Money(2500, "USD")
