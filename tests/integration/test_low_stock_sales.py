"""The daily low-stock report's units sold (issue 13): they come from the daily sales rollup
alone, whole UTC days from the day of `sold_since`, and are exactly what counting the orders'
lines of those days gives, on a seeded history with orders placed and cancelled through the
repository on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.demo.history import seed_history
from domain.orders.lifecycle import OrderStatus
from storage.db import Database
from storage.explain import capture
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderLineRow, OrderRow
from tests.integration.helpers import add_customer, make_order

NOW = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)


async def _direct(db: Database, day_start: datetime) -> dict[int, int]:
    """Units of every product in orders not cancelled placed at or after `day_start`."""
    async with db.uow(readonly=True) as uow:
        rows = await uow.session.execute(
            select(OrderLineRow.product_id, func.sum(OrderLineRow.quantity))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderRow.created_at >= day_start,
                OrderRow.status != OrderStatus.CANCELLED.value,
            )
            .group_by(OrderLineRow.product_id)
        )
        return {pid: int(units) for pid, units in rows}


async def test_units_sold_are_the_direct_count_of_whole_utc_days_read_from_the_rollup(
    db: Database,
) -> None:
    await seed_history(db, days=45, customers=30, seed=7, now=NOW, orders_per_day=20, products=6)
    async with db.uow() as uow:  # every product low, so every product is counted
        await uow.session.execute(update(ProductRow).values(stock=1, low_stock_threshold=5))
        await uow.commit()
        products = list(await uow.session.scalars(select(ProductRow.id).order_by(ProductRow.id)))
    # Orders through the repository (the rollup kept as they are placed and change status):
    # one early in the first day of the window, one cancelled, one just before the window.
    await add_customer(db, 9_000_001)
    since = NOW - timedelta(days=30)
    day_start = since.replace(hour=0, minute=0)
    for n, (at, cancel) in enumerate(
        [
            (day_start + timedelta(minutes=5), False),
            (day_start + timedelta(hours=2), True),
            (day_start - timedelta(minutes=1), False),
            (NOW - timedelta(minutes=3), False),
        ]
    ):
        async with db.uow() as uow:
            order = make_order(9_000_001, f"LOW-{n}", product_id=products[n % 2], created_at=at)
            order.id = await uow.orders.add(order)
            if cancel:
                before, order.status = order.status, OrderStatus.CANCELLED
                assert await uow.orders.save_status(order, expected=before)
            await uow.commit()
    before_since = await _direct(db, day_start)
    assert before_since != await _direct(db, since), "orders between midnight and since"

    for start in (since, day_start, since + timedelta(hours=8, minutes=29), NOW):
        expected = await _direct(db, start.replace(hour=0, minute=0, second=0))
        with capture(db.engine) as captured:
            async with db.uow(readonly=True) as uow:
                found = await uow.sweeps.low_stock(start, 50)
        assert {product.id: sold for product, sold in found} == {
            pid: expected.get(pid, 0) for pid in products
        }, start
        read = " ".join(statement for statement, _ in captured.statements)
        assert " orders" not in read and "order_lines" not in read, read
    assert sum(before_since.values()) > 0
