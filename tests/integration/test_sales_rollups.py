"""The reports' sales rollups (issue 18) agree with the orders, to the minor unit: on a
generated history (rollups rebuilt after the bulk insert) plus orders placed and moved through
the orders repository (rollups kept in each transaction), every report figure read from the
rollups equals the one computed from the orders, for periods on whole days, on hours of a
half-hour time zone, shorter than an hour, and for the whole history; and rebuilding the
rollups from the orders changes no figure of them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.demo.history import CUSTOMER_ID_BASE, seed_history
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.shared.money import Money
from storage import rollups
from storage.db import Database
from storage.tables.insight import ProductSalesDayRow, SalesHourRow

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SEED = 21
S = OrderStatus


def _order(n: int, at: datetime, rng: random.Random) -> Order:
    lines = [
        OrderLine(
            pid, f"HIST-{pid:04d}", f"Product {pid:04d}", Money(rng.randrange(100, 900), "USD"), q
        )
        for pid, q in {
            rng.randint(1, 4): rng.randint(1, 3) for _ in range(rng.randint(1, 3))
        }.items()
    ]
    return Order(
        number=f"R-{n:05d}",
        customer_id=CUSTOMER_ID_BASE + SEED * 1_000_000 + rng.randrange(12),
        status=S.PENDING_PAYMENT,
        currency="USD",
        lines=lines,
        shipping=Money(500, "USD"),
        payment_method=rng.choice(list(PaymentMethod)),
        recipient="R",
        phone="+10000000000",
        address_text="1 Rollup Road",
        created_at=at,
    )


async def _live_orders(db: Database) -> None:
    """Orders placed and moved the way the shop does it: add, then compare-and-set steps."""
    rng = random.Random(5)
    paths = [
        [S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED],
        [S.CANCELLED],
        [S.PAID, S.SHIPPED],
        [],
    ]
    for n in range(40):
        at = NOW - timedelta(days=rng.uniform(0, 20))
        async with db.uow() as uow:
            order = _order(n, at, rng)
            order.id = await uow.orders.add(order)
            for status in rng.choice(paths):
                before, order.status = order.status, status
                assert await uow.orders.save_status(order, expected=before)
            # a refused compare-and-set (the order is not in the status expected) moves nothing
            stale = replace(order, status=S.CANCELLED)
            assert not await uow.orders.save_status(stale, expected=S.CONFIRMED)
            await uow.commit()


async def _agree(db: Database, start: datetime, end: datetime, offset_min: int) -> None:
    async with db.uow(readonly=True) as uow:
        repo = uow.insight
        assert await repo.period_figures(start, end, "USD") == (
            await repo.period_figures_from_orders(start, end, "USD")
        ), (start, end)
        assert await repo.top_products(start, end, "USD", 3) == (
            await repo.top_products_from_orders(start, end, "USD", 3)
        ), (start, end)
        assert await repo.daily_sales(start, end, "USD", offset_min) == (
            await repo.daily_sales_from_orders(start, end, "USD", offset_min)
        ), (start, end, offset_min)


async def _rolled(db: Database) -> tuple[set[tuple], set[tuple]]:
    async with db.uow(readonly=True) as uow:
        hours = await uow.session.execute(select(SalesHourRow.__table__))
        days = await uow.session.execute(select(ProductSalesDayRow.__table__))
        # rows moved down to zero stay behind; they count for nothing
        return (
            {tuple(r) for r in hours if r.orders},
            {
                (r.day, r.currency, r.status, r.product_id, r.units, r.revenue_minor)
                for r in days
                if r.units
            },
        )


async def test_report_figures_from_the_rollups_equal_those_from_the_orders(db: Database) -> None:
    await seed_history(db, days=45, customers=12, seed=SEED, now=NOW, orders_per_day=9, products=4)
    await _live_orders(db)
    midnight = datetime(2026, 5, 1, tzinfo=UTC)
    periods = [
        (midnight, midnight + timedelta(days=31), 0),  # a month of whole days
        (midnight - timedelta(hours=8), midnight + timedelta(days=7, hours=-8), 480),  # UTC+8
        (
            midnight - timedelta(hours=5, minutes=30),  # UTC+5:30: parts of hours at each end
            midnight + timedelta(days=10, hours=-5, minutes=-30),
            330,
        ),
        (midnight + timedelta(minutes=10), midnight + timedelta(minutes=50), 0),  # under an hour
        (NOW - timedelta(days=400), NOW + timedelta(days=1), 0),  # everything
    ]
    for start, end, offset in periods:
        await _agree(db, start, end, offset)

    kept = await _rolled(db)
    async with db.uow() as uow:
        await rollups.rebuild(uow.session)
        await uow.commit()
    assert await _rolled(db) == kept
