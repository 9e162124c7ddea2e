"""Sales rollups (issue 18): orders by the UTC hour they were placed and order lines by the UTC
day, per currency and current status, kept in the transaction that places an order or changes
its status. A report over a month reads about 720 hours and 30 days of rows instead of every
order and line of the month, and gets the same figures to the minor unit: a rollup row is a
sum of the very orders the direct query would read, moved from one status to another when the
order moves.

The orders repository calls `count_order` with +1 when it stores an order and with -1/+1 when
a status change commits; `rebuild` recomputes everything from the orders (after a bulk import
such as the history generator's, or to check). The keys are taken in sorted order, so two
transactions never lock the same rollup rows in opposite orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from storage.base import dialect_insert
from storage.tables.insight import ProductSalesDayRow, SalesHourRow
from storage.tables.orders import OrderLineRow, OrderRow

HOUR_FORMAT = "%Y-%m-%d %H"
DAY_FORMAT = "%Y-%m-%d"


def hour_key(at: datetime) -> str:
    """The rollup key of the UTC hour `at` falls in."""
    return at.astimezone(UTC).strftime(HOUR_FORMAT)


def day_key(at: datetime) -> str:
    """The rollup key of the UTC day `at` falls in."""
    return at.astimezone(UTC).strftime(DAY_FORMAT)


def hour_start(key: str) -> datetime:
    """The start of a rollup hour."""
    return datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[first, last) the whole UTC hours inside [start, end); first >= last when none."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return first, last


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[first, last) the whole UTC days inside [start, end); first >= last when none."""
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(days=1)
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return first, last


async def count_order(session: AsyncSession, order: Order, status: OrderStatus, sign: int) -> None:
    """Add (sign +1) or take away (-1) an order, in `status`, to the rollups."""
    currency = order.currency
    method = order.payment_method.value
    units = sum(line.quantity for line in order.lines)
    hour = hour_key(order.created_at)
    insert_ = dialect_insert(session)
    statement = insert_(SalesHourRow).values(
        hour=hour,
        currency=currency,
        status=status.value,
        payment_method=method,
        orders=sign,
        total_minor=sign * order.total.amount,
        units=sign * units,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["hour", "currency", "status", "payment_method"],
            set_={
                "orders": SalesHourRow.orders + statement.excluded.orders,
                "total_minor": SalesHourRow.total_minor + statement.excluded.total_minor,
                "units": SalesHourRow.units + statement.excluded.units,
            },
        )
    )
    day = day_key(order.created_at)
    per_product: dict[int, list[Any]] = defaultdict(lambda: [0, 0, "", ""])
    for line in order.lines:
        entry = per_product[line.product_id]
        entry[0] += line.quantity
        entry[1] += line.paid.amount  # net of the line's share of a promo discount
        entry[2], entry[3] = max(entry[2], line.sku), max(entry[3], line.name)
    for product_id in sorted(per_product):
        units_, revenue, sku, name = per_product[product_id]
        statement = insert_(ProductSalesDayRow).values(
            day=day,
            currency=currency,
            status=status.value,
            product_id=product_id,
            sku=sku,
            name=name,
            units=sign * units_,
            revenue_minor=sign * revenue,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "currency", "status", "product_id"],
                set_={
                    "units": ProductSalesDayRow.units + statement.excluded.units,
                    "revenue_minor": ProductSalesDayRow.revenue_minor
                    + statement.excluded.revenue_minor,
                    "sku": statement.excluded.sku,
                    "name": statement.excluded.name,
                },
            )
        )


async def move_order(
    session: AsyncSession, order: Order, before: OrderStatus, after: OrderStatus
) -> None:
    """An order's status changed from `before` to `after`: move it between rollup rows (the
    two keys in sorted order)."""
    if before == after:
        return
    for status, sign in sorted([(before, -1), (after, 1)], key=lambda s: s[0].value):
        await count_order(session, order, status, sign)


def _hour_of(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(HOUR_FORMAT, column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _day_of(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(DAY_FORMAT, column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


async def rebuild(session: AsyncSession) -> None:
    """Recompute both rollups from the orders and their lines (two INSERT ... SELECT)."""
    await session.execute(delete(SalesHourRow))
    await session.execute(delete(ProductSalesDayRow))
    units = (
        select(OrderLineRow.order_id, func.sum(OrderLineRow.quantity).label("units"))
        .group_by(OrderLineRow.order_id)
        .subquery("units")
    )
    hour = _hour_of(session, OrderRow.created_at)
    await session.execute(
        insert(SalesHourRow).from_select(
            ["hour", "currency", "status", "payment_method", "orders", "total_minor", "units"],
            select(
                hour,
                OrderRow.currency,
                OrderRow.status,
                OrderRow.payment_method,
                func.count(),
                func.sum(OrderRow.total_minor),
                func.coalesce(func.sum(units.c.units), 0),
            )
            .select_from(OrderRow)
            .outerjoin(units, units.c.order_id == OrderRow.id)
            .group_by(hour, OrderRow.currency, OrderRow.status, OrderRow.payment_method),
        )
    )
    day = _day_of(session, OrderRow.created_at)
    await session.execute(
        insert(ProductSalesDayRow).from_select(
            ["day", "currency", "status", "product_id", "sku", "name", "units", "revenue_minor"],
            select(
                day,
                OrderRow.currency,
                OrderRow.status,
                OrderLineRow.product_id,
                func.max(OrderLineRow.sku),
                func.max(OrderLineRow.name),
                func.sum(OrderLineRow.quantity),
                # net of each line's share of a promo discount, as count_order adds it
                func.sum(
                    OrderLineRow.unit_price_minor * OrderLineRow.quantity
                    - OrderLineRow.discount_minor
                ),
            )
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .group_by(day, OrderRow.currency, OrderRow.status, OrderLineRow.product_id),
        )
    )
