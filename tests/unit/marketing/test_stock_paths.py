"""The back-in-stock hook on the merchant's paths (issue 16), with the fakes: putting a product
back on sale, and a CSV import that reactivates one, tell the customers waiting for it once;
taking it off sale or an import that changes nothing tells nobody."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from domain.catalog.back_in_stock import BACK_IN_STOCK_TEMPLATE, queue_back_in_stock
from domain.catalog.importing import ProductDraft
from domain.marketing.back_in_stock import BackInStock
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer
from domain.shared.money import Money
from domain.shipping.carriers import DEFAULT_CARRIERS
from tests.unit.fakes import FakeUnitOfWorkFactory

T0 = datetime(2026, 5, 1, tzinfo=UTC)
ANN = 5001  # an admin
ADMIN_CHAT = -100


def _shop() -> tuple[FakeUnitOfWorkFactory, Merchant, BackInStock, int]:
    factory = FakeUnitOfWorkFactory()
    factory.store.customers[7] = Customer(7, "Ada")
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=4, sku="TEA").id
    clock = FixedClock()
    tokens = (f"tok{n}" for n in itertools.count(1))
    merchant = Merchant(
        factory,
        clock,
        MerchantConfig("USD", ADMIN_CHAT, DEFAULT_CARRIERS),
        tokens=lambda: next(tokens),
        flow=ORDER_FLOW,
    )
    return factory, merchant, BackInStock(factory, clock), tea


def _told(factory: FakeUnitOfWorkFactory) -> list[int]:
    return [
        e.notification.chat_id
        for e in factory.store.outbox.values()
        if e.notification.template == BACK_IN_STOCK_TEMPLATE
    ]


async def test_a_product_put_back_on_sale_tells_the_waiting_customer_once() -> None:
    factory, merchant, back, tea = _shop()
    assert (await back.watch(7, tea)).state.value == "in_stock"  # on sale: nothing to wait for
    factory.store.products[tea].reserved = 4  # held by unpaid orders: sold out
    assert (await back.watch(7, tea)).state.value == "started"
    await merchant.set_active(ANN, tea, False)
    # Units released while it is off sale tell nobody yet: it cannot be ordered.
    async with factory() as uow:
        await uow.products.release(tea, 4)
        assert await queue_back_in_stock(uow, [tea], T0) == 0
        await uow.commit()
    assert _told(factory) == []
    await merchant.set_active(ANN, tea, True)
    await merchant.set_active(ANN, tea, True)  # again: no change, nobody told twice
    assert _told(factory) == [7]


async def test_an_import_that_reactivates_a_product_tells_the_waiting_customer() -> None:
    factory, merchant, back, tea = _shop()
    factory.store.products[tea].reserved = 4
    await back.watch(7, tea)
    factory.store.products[tea].reserved = 0
    factory.store.products[tea].active = False
    same = [ProductDraft("TEA", "Tea", "Tea", Money(100, "USD"), 4, active=False)]
    await merchant.import_catalog(ANN, same, "same.csv")
    assert _told(factory) == []
    back_on = [ProductDraft("TEA", "Tea", "Tea", Money(120, "USD"), 4, active=True)]
    await merchant.import_catalog(ANN, back_on, "spring.csv")
    assert _told(factory) == [7]
