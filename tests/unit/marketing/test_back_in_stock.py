"""Notify me when back in stock (issue 16), with the fakes: waiting once, one message per
waiting customer when units come back on any path, in their language, opted out or not."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.catalog.back_in_stock import BACK_IN_STOCK_TEMPLATE, queue_back_in_stock
from domain.marketing.back_in_stock import BackInStock, Watching
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.orders.transitions import apply_stock_effect
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.money import Money
from tests.unit.fakes import FakeUnitOfWorkFactory

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _shop() -> tuple[FakeUnitOfWorkFactory, BackInStock, FixedClock, int]:
    factory = FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(500, "USD"), stock=0).id
    factory.store.customers[7] = Customer(7, "Ann")
    factory.store.customers[8] = Customer(8, "Bo", language_code="zh-hans", optional_messages=False)
    clock = FixedClock(T0)
    return factory, BackInStock(factory, clock), clock, tea


def _messages(factory: FakeUnitOfWorkFactory) -> list[tuple[int, str, Language | None]]:
    return [
        (e.notification.chat_id, e.notification.template, e.notification.language)
        for e in factory.store.outbox.values()
    ]


async def test_a_second_tap_on_notify_me_changes_nothing_and_says_so() -> None:
    factory, back, _, tea = _shop()
    assert (await back.watch(7, tea)).state == Watching.STARTED
    commits = factory.commits
    assert (await back.watch(7, tea)).state == Watching.ALREADY
    assert factory.commits == commits  # nothing written
    assert await back.is_watching(7, tea)
    await back.unwatch(7, tea)
    assert not await back.is_watching(7, tea)


async def test_a_product_in_stock_needs_no_waiting() -> None:
    factory, back, _, tea = _shop()
    factory.store.products[tea].stock = 3
    assert (await back.watch(7, tea)).state == Watching.IN_STOCK
    assert not await back.is_watching(7, tea)


async def test_units_back_tell_each_waiting_customer_once_opted_out_included() -> None:
    factory, back, clock, tea = _shop()
    await back.watch(7, tea)
    await back.watch(8, tea)  # turned optional messages off: asked for this one all the same
    async with factory() as uow:
        assert await queue_back_in_stock(uow, [tea], clock.now()) == 0  # still sold out
        await uow.products.restock(tea, 2)
        assert await queue_back_in_stock(uow, [tea, tea], clock.now()) == 2
        assert await queue_back_in_stock(uow, [tea], clock.now()) == 0  # once
        await uow.commit()
    assert _messages(factory) == [
        (7, BACK_IN_STOCK_TEMPLATE, Language.EN),
        (8, BACK_IN_STOCK_TEMPLATE, Language.ZH),
    ]
    [first, _] = factory.store.outbox.values()
    assert first.notification.params == {"product_id": tea, "name": "Tea"}
    assert not await back.is_watching(7, tea)
    # A second restock later tells nobody, unless they wait again.
    async with factory() as uow:
        await uow.products.restock(tea, 5)
        assert await queue_back_in_stock(uow, [tea], clock.now()) == 0
        await uow.commit()
    factory.store.products[tea].stock = 0
    assert (await back.watch(7, tea)).state == Watching.STARTED
    clock.advance(minutes=5)
    async with factory() as uow:
        await uow.products.restock(tea, 1)
        assert await queue_back_in_stock(uow, [tea], clock.now()) == 1
        await uow.commit()
    assert len(_messages(factory)) == 3


async def test_a_cancelled_order_releasing_the_last_units_tells_the_waiting_customer() -> None:
    factory, back, clock, tea = _shop()
    factory.store.products[tea].stock = 1
    factory.store.products[tea].reserved = 1  # held by an unpaid order: sold out
    await back.watch(7, tea)
    order = Order(
        number="AAAA-BBBB",
        customer_id=8,
        status=OrderStatus.PENDING_PAYMENT,
        currency="USD",
        lines=[OrderLine(tea, "TEA", "Tea", Money(500, "USD"), 1)],
        shipping=Money(0, "USD"),
        payment_method=PaymentMethod.BANK_TRANSFER,
        recipient="Bo",
        phone="+8613800000000",
        address_text="1 Road",
        created_at=T0,
        id=1,
    )
    async with factory() as uow:
        back_on_sale = await apply_stock_effect(
            uow, order, OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED
        )
        assert back_on_sale == [tea]
        assert await queue_back_in_stock(uow, back_on_sale, clock.now()) == 1
        await uow.commit()
    assert _messages(factory) == [(7, BACK_IN_STOCK_TEMPLATE, Language.EN)]
