"""Stock is never oversold and a confirmation takes effect once, under real concurrency:
many customers (asyncio tasks, each with its own units of work and connections) at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.checkout.flow import CheckoutStep
from domain.checkout.ordering import PlacedOrder
from domain.checkout.shop import Shop
from domain.shared.errors import OutOfStockError
from storage.db import Database
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.outbox import OutboxRow
from tests.integration.helpers import (
    ADMIN_CHAT,
    count,
    draft,
    gated_shop,
    make_shop,
    product_by_sku,
    until,
    walk_to_review,
)

CUSTOMERS = 50
STOCK = 10


# -- overselling -----------------------------------------------------------------------------


async def test_fifty_customers_racing_for_ten_units_place_exactly_ten_orders(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    # Everyone goes through checkout concurrently up to the review screen, then all confirm
    # at the same moment.
    at_review = asyncio.Barrier(CUSTOMERS)

    async def customer(customer_id: int) -> PlacedOrder | OutOfStockError:
        try:
            token = await walk_to_review(shop, customer_id, ids["HOT"])
        except BaseException:
            await at_review.abort()
            raise
        await at_review.wait()
        try:
            return await shop.place_order(customer_id, token)
        except OutOfStockError as exc:
            return exc

    customer_ids = [1000 + n for n in range(CUSTOMERS)]
    results = await asyncio.wait_for(
        asyncio.gather(*(customer(c) for c in customer_ids)), timeout=60
    )

    placed = [r for r in results if isinstance(r, PlacedOrder)]
    refused = [r for r in results if isinstance(r, OutOfStockError)]
    assert (len(placed), len(refused)) == (STOCK, CUSTOMERS - STOCK)
    assert all(p.created for p in placed)
    assert len({p.order.number for p in placed}) == STOCK
    product = await product_by_sku(db, "HOT")
    assert (product.stock, product.reserved, product.available) == (STOCK, STOCK, 0)
    assert await count(db, select(func.count()).select_from(OrderRow)) == STOCK
    assert await count(db, select(func.sum(OrderLineRow.quantity))) == STOCK
    assert (
        await count(
            db, select(func.count()).select_from(OutboxRow).where(OutboxRow.chat_id == ADMIN_CHAT)
        )
        == STOCK
    )
    # A refused confirmation was rolled back as a whole: cart kept, checkout still at review.
    winners = {p.order.customer_id for p in placed}
    for customer_id in customer_ids:
        cart = await shop.cart(customer_id)
        view = await shop.current_checkout(customer_id)
        if customer_id in winners:
            assert cart.empty and view is None
        else:
            assert cart.item_count == 1
            assert view is not None and view.checkout.step == CheckoutStep.REVIEW


async def test_twenty_concurrent_reservations_of_three_on_ten_units_let_exactly_three_through(
    db: Database, seed
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    start = asyncio.Event()

    async def reserve() -> bool:
        await start.wait()
        async with db.uow() as uow:
            ok = await uow.products.reserve(ids["HOT"], 3)
            await uow.commit()
        return ok

    tasks = [asyncio.create_task(reserve()) for _ in range(20)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    assert Counter(results) == {True: 3, False: 17}
    product = await product_by_sku(db, "HOT")
    assert (product.stock, product.reserved, product.available) == (STOCK, 9, 1)


# -- double confirmation -------------------------------------------------------------------


def _assert_placed_once(results: list[Any]) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors
    assert len({r.order.number for r in results}) == 1
    assert sorted(r.created for r in results) == [False] * (len(results) - 1) + [True]


async def test_confirming_the_same_checkout_five_times_at_once_places_one_order(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    token = await walk_to_review(shop, 7, ids["HOT"], quantity=2)

    results = await asyncio.wait_for(
        asyncio.gather(*(shop.place_order(7, token) for _ in range(5)), return_exceptions=True),
        timeout=60,
    )

    _assert_placed_once(results)
    assert await count(db, select(func.count()).select_from(OrderRow)) == 1
    assert (await product_by_sku(db, "HOT")).reserved == 2  # duplicates' holds rolled back
    assert await count(db, select(func.count()).select_from(OutboxRow)) == 1
    assert await shop.current_checkout(7) is None


async def test_confirming_the_last_units_five_times_at_once_places_one_order(
    db: Database, shop: Shop, seed, backend: str, request: pytest.FixtureRequest
) -> None:
    ids = await seed(draft("LAST", stock=2))
    token = await walk_to_review(shop, 7, ids["LAST"], quantity=2)
    # On PostgreSQL all five read the checkout and the cart before any of them reserves, as
    # a double tap does. SQLite cannot interleave them: BEGIN IMMEDIATE serializes writers
    # (and a gate there would wait forever), so there they simply run concurrently.
    arrived = 0

    async def everyone_read() -> None:
        nonlocal arrived
        arrived += 1
        await until(db, lambda: arrived == 5)

    confirming = shop if backend == "sqlite" else gated_shop(db, "carts.get", everyone_read)

    results = await asyncio.wait_for(
        asyncio.gather(
            *(confirming.place_order(7, token) for _ in range(5)), return_exceptions=True
        ),
        timeout=60,
    )

    _assert_placed_once(results)
    assert await count(db, select(func.count()).select_from(OrderRow)) == 1
    assert (await product_by_sku(db, "LAST")).reserved == 2


async def test_a_confirmation_overlapping_one_that_commits_returns_the_placed_order(
    db: Database, shop: Shop, seed, backend: str, request: pytest.FixtureRequest
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    token = await walk_to_review(shop, 7, ids["HOT"])

    results: list[Any]
    if backend == "sqlite":
        # Writers are serialized, so the second confirmation can only follow the first.
        results = [await shop.place_order(7, token), await shop.place_order(7, token)]
    else:
        # The second confirmation has read the checkout (still at review) when the first
        # one commits; then it goes on.
        second_read, first_done = asyncio.Event(), asyncio.Event()

        async def gate() -> None:
            second_read.set()
            await first_done.wait()

        second = asyncio.create_task(gated_shop(db, "checkouts.get", gate).place_order(7, token))
        await asyncio.wait_for(second_read.wait(), timeout=10)
        first = asyncio.create_task(shop.place_order(7, token))
        await until(db, first.done)
        first_done.set()
        results = list(await asyncio.gather(first, second, return_exceptions=True))

    _assert_placed_once(results)
    assert await count(db, select(func.count()).select_from(OrderRow)) == 1


# -- double cancellation -------------------------------------------------------------------


async def test_an_order_cancelled_twice_at_once_releases_its_stock_once(
    db: Database, seed, backend: str
) -> None:
    # Without the compare-and-set in SqlOrderRepository.save_status(expected=...), the
    # PostgreSQL interleaving below released the reservation twice (eating customer 8's hold)
    # and wrote two CANCELLED events.
    ids = await seed(draft("HOT", stock=STOCK))
    shop = make_shop(db, admin_chat_id=None)
    mine = await shop.place_order(7, await walk_to_review(shop, 7, ids["HOT"], quantity=2))
    await shop.place_order(8, await walk_to_review(shop, 8, ids["HOT"], quantity=2))
    number = mine.order.number
    assert (await product_by_sku(db, "HOT")).reserved == 4

    if backend == "sqlite":
        # Writers are serialized: the two cancellations cannot overlap.
        results = await asyncio.gather(
            shop.cancel_my_order(7, number),
            shop.cancel_my_order(7, number),
            return_exceptions=True,
        )
    else:
        # One cancellation has read the order (still pending) when the other commits.
        first_read, second_done = asyncio.Event(), asyncio.Event()

        async def gate() -> None:
            first_read.set()
            await second_done.wait()

        gated = gated_shop(db, "orders.get_by_number", gate, admin_chat_id=None)
        first = asyncio.create_task(gated.cancel_my_order(7, number))
        await asyncio.wait_for(first_read.wait(), timeout=10)
        second = asyncio.create_task(shop.cancel_my_order(7, number))
        await until(db, second.done)
        second_done.set()
        results = await asyncio.gather(first, second, return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["IllegalTransitionError", "Order"]
    assert (await product_by_sku(db, "HOT")).reserved == 2  # customer 8's hold is intact
    events = (await shop.my_order(7, number)).events
    assert [e.type.value for e in events] == ["placed", "confirmed", "cancelled"]  # COD
