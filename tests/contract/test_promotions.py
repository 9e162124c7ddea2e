"""Promo codes and their redemptions (issue 16), on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.orders.lifecycle import OrderStatus
from domain.promotions.model import PromoCode, PromoKind
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from tests.contract import seed
from tests.contract.seed import T0, Factory, at, new_order


def _code(code: str = "SPRING10", **fields: object) -> PromoCode:
    promo = PromoCode(
        code=code,
        kind=PromoKind.PERCENT,
        value=10,
        currency="USD",
        min_subtotal=5000,
        valid_from=T0,
        valid_until=at(60 * 24),
        max_uses=2,
        max_uses_per_customer=1,
        product_ids=(3, 1),
        category_ids=(9,),
        free_shipping=True,
        created_at=T0,
    )
    return replace(promo, **fields)  # type: ignore[arg-type]


async def _add(uow_factory: Factory, promo: PromoCode) -> int:
    async with uow_factory() as uow:
        promo_id = await uow.promos.add(promo)
        await uow.commit()
    return promo_id


async def test_a_code_comes_back_as_it_was_created(uow_factory: Factory) -> None:
    promo_id = await _add(uow_factory, _code())
    later = await _add(uow_factory, _code("TAKE5", kind=PromoKind.FIXED, created_at=at(1)))
    async with uow_factory(readonly=True) as uow:
        found = await uow.promos.get("SPRING10")
        assert found == replace(_code(), id=promo_id)
        assert await uow.promos.get_by_id(promo_id) == found
        assert await uow.promos.get("NOPE") is None
        assert await uow.promos.get_by_id(promo_id + 1000) is None
        assert [p.id for p in await uow.promos.list()] == [later, promo_id]  # newest first


async def test_a_taken_code_is_refused_and_the_rest_goes_on(uow_factory: Factory) -> None:
    await _add(uow_factory, _code())
    async with uow_factory() as uow:
        with pytest.raises(DuplicateError):
            await uow.promos.add(_code())
        await uow.promos.add(_code("OTHER"))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert len(await uow.promos.list()) == 2


async def test_pausing_and_resuming_a_code(uow_factory: Factory) -> None:
    promo_id = await _add(uow_factory, _code())
    async with uow_factory() as uow:
        assert await uow.promos.set_paused(promo_id, True)
        assert not await uow.promos.set_paused(promo_id, True), "paused already: no change"
        assert not await uow.promos.set_paused(promo_id + 1000, True)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        paused = await uow.promos.get_by_id(promo_id)
    assert paused is not None and paused.paused


async def test_redemptions_stop_at_the_last_use_and_count_per_customer(
    uow_factory: Factory,
) -> None:
    promo_id = await _add(uow_factory, _code())
    orders = [await seed.order(uow_factory, f"A-{n}", customer_id=7 + n % 2) for n in range(3)]
    async with uow_factory() as uow:
        assert await uow.promos.redeem(promo_id, orders[0], 7, at(1))
        assert await uow.promos.redeem(promo_id, orders[1], 8, at(2))
        assert not await uow.promos.redeem(promo_id, orders[2], 7, at(3))  # none left
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        promo = await uow.promos.get_by_id(promo_id)
        assert promo is not None and promo.uses == 2 and promo.uses_left == 0
        assert await uow.promos.customer_uses(promo_id, 7) == 1
        assert await uow.promos.customer_uses(promo_id, 9) == 0


async def test_buyers_without_telegram_count_by_their_phone(uow_factory: Factory) -> None:
    # Another sales channel's buyers share its one customer row (CHANNEL): the phone tells
    # them apart. A Telegram customer counts by id, as before.
    channel = -(2**53) - 5
    promo_id = await _add(uow_factory, _code(max_uses=None))
    orders = [await seed.order(uow_factory, f"C-{n}", customer_id=channel) for n in range(2)]
    async with uow_factory() as uow:
        assert await uow.promos.redeem(promo_id, orders[0], channel, at(1), "+14155550001")
        assert await uow.promos.redeem(promo_id, orders[1], channel, at(2), "+14155550002")
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.promos.customer_uses(promo_id, channel, "+14155550001") == 1
        assert await uow.promos.customer_uses(promo_id, channel, "+14155550003") == 0
        assert await uow.promos.customer_uses(promo_id, 7) == 0
    async with uow_factory() as uow:
        assert await uow.promos.give_back(orders[0], at(3))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.promos.customer_uses(promo_id, channel, "+14155550001") == 0
        assert await uow.promos.customer_uses(promo_id, channel, "+14155550002") == 1


async def test_an_order_redeems_once(uow_factory: Factory) -> None:
    promo_id = await _add(uow_factory, _code(max_uses=None))
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        assert await uow.promos.redeem(promo_id, order_id, 7, at(1))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(DuplicateError):
            await uow.promos.redeem(promo_id, order_id, 7, at(2))


async def test_a_use_goes_back_once(uow_factory: Factory) -> None:
    promo_id = await _add(uow_factory, _code())
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        assert not await uow.promos.give_back(order_id, at(1))  # nothing redeemed yet
        assert await uow.promos.redeem(promo_id, order_id, 7, at(1))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.promos.give_back(order_id, at(2))
        assert not await uow.promos.give_back(order_id, at(3))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        promo = await uow.promos.get_by_id(promo_id)
        assert promo is not None and promo.uses == 0
        assert await uow.promos.customer_uses(promo_id, 7) == 0


async def test_a_codes_figures_count_paid_orders_net_of_the_discount(
    uow_factory: Factory,
) -> None:
    promo_id = await _add(uow_factory, _code(max_uses=None))
    await seed.customer(uow_factory, 7)
    product_id = await seed.product(uow_factory, "SOLD", stock=100)
    ids = []
    for n, status in enumerate([OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.CANCELLED]):
        order = new_order(f"B-{n}", 7, {product_id: 2}, status=status)
        order.promo_code, order.discount_minor = "SPRING10", 200
        order.lines[0].discount_minor = 200
        async with uow_factory() as uow:
            ids.append(await uow.orders.add(order))
            assert await uow.promos.redeem(promo_id, ids[-1], 7, at(n))
            await uow.commit()
    async with uow_factory(readonly=True) as uow:
        stored = await uow.orders.get(ids[0])
        stats = await uow.promos.stats(promo_id)
    assert stored is not None and stored.promo_code == "SPRING10"
    assert (stored.discount_minor, stored.lines[0].discount_minor) == (200, 200)
    assert stored.total == Money(2000 - 200 + 500, "USD")
    assert (stats.orders, stats.paid_orders) == (3, 2)
    assert stats.revenue == Money(2 * 2300, "USD")
    assert stats.discount == Money(400, "USD")


async def test_a_codes_figures_follow_its_orders_status(uow_factory: Factory) -> None:
    promo_id = await _add(uow_factory, _code(max_uses=None))
    await seed.customer(uow_factory, 7)
    product_id = await seed.product(uow_factory, "SOLD", stock=100)
    order = new_order("B-9", 7, {product_id: 1})
    order.promo_code, order.discount_minor = "SPRING10", 100
    order.lines[0].discount_minor = 100
    async with uow_factory() as uow:
        order.id = await uow.orders.add(order)
        assert await uow.promos.redeem(promo_id, order.id, 7, at(1))
        await uow.commit()

    async def figures() -> tuple[int, int, int, int]:
        async with uow_factory(readonly=True) as uow:
            stats = await uow.promos.stats(promo_id)
        return stats.orders, stats.paid_orders, stats.revenue.amount, stats.discount.amount

    assert await figures() == (1, 0, 0, 0)  # placed, not paid yet
    async with uow_factory() as uow:
        order.status = OrderStatus.PAID
        assert await uow.orders.save_status(order, OrderStatus.PENDING_PAYMENT)
        await uow.commit()
    assert await figures() == (1, 1, 1000 - 100 + 500, 100)
    async with uow_factory() as uow:  # rolled back: the figures stay
        order.status = OrderStatus.CANCELLED
        assert await uow.orders.save_status(order, OrderStatus.PAID)
    assert await figures() == (1, 1, 1400, 100)
    async with uow_factory() as uow:
        assert await uow.orders.save_status(order, OrderStatus.PAID)
        await uow.commit()
    assert await figures() == (1, 0, 0, 0)  # cancelled: still an order placed with the code
