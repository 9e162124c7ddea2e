"""Sales rollups (issue 18): orders by the UTC hour they were placed and order lines by the UTC
day, per currency and current status, and orders placed with a promo code by the code and
current status (a code's card, issue 16), kept in the transaction that places an order or
changes its status. A report over a month reads about 720 hours and 30 days of rows instead of every
order and line of the month, and gets the same figures to the minor unit: a rollup row is a
sum of the very orders the direct query would read, moved from one status to another when the
order moves.

The orders repository calls `count_order` with +1 when it stores an order and with -1/+1 when
a status change commits; `rebuild` recomputes everything from the orders (after a bulk import
such as the history generator's, or to check). The keys are taken in sorted order, so two
transactions never lock the same rollup rows in opposite orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from storage.base import dialect_insert
from storage.tables.insight import ProductSalesDayRow, SalesHourRow
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.promotions import PromoSalesRow

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


# The rollup changes of a transaction, by key, summed until it commits: storage/db.py's
# SqlUnitOfWork.commit calls apply_pending. Placing a cash-on-delivery order counts it as
# pending and then moves it to confirmed; summed, that is 2 upserts instead of 6, and on
# PostgreSQL the rollup rows are locked only from just before the commit instead of from the
# order's first statement (concurrent orders of the same hour wait on them).
_PENDING = "orderbot_rollups_pending"
_HOUR_KEY = ("hour", "currency", "status", "payment_method")
_DAY_KEY = ("day", "currency", "status", "product_id")
_PROMO_KEY = ("code", "status")


@dataclass
class _Pending:
    hours: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)
    days: dict[tuple[str, str, str, int], list[Any]] = field(default_factory=dict)  # units,
    # revenue, sku, name
    promos: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # orders, total,
    # discount


def _pending(session: AsyncSession) -> _Pending:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending()
    return pending  # type: ignore[no-any-return]


async def count_order(session: AsyncSession, order: Order, status: OrderStatus, sign: int) -> None:
    """Add (sign +1) or take away (-1) an order, in `status`, to the rollups, when the
    transaction commits (apply_pending)."""
    pending = _pending(session)
    currency = order.currency
    hour = pending.hours.setdefault(
        (hour_key(order.created_at), currency, status.value, order.payment_method.value),
        [0, 0, 0],
    )
    hour[0] += sign
    hour[1] += sign * order.total.amount
    hour[2] += sign * sum(line.quantity for line in order.lines)
    day = day_key(order.created_at)
    for line in order.lines:
        entry = pending.days.setdefault(
            (day, currency, status.value, line.product_id), [0, 0, "", ""]
        )
        entry[0] += sign * line.quantity
        entry[1] += sign * line.paid.amount  # net of the line's share of a promo discount
        entry[2], entry[3] = line.sku, line.name  # the row keeps the latest
    if order.promo_code:  # a code's card (storage/promotions.py) reads these
        promo = pending.promos.setdefault((order.promo_code, status.value), [0, 0, 0])
        promo[0] += sign
        promo[1] += sign * order.total.amount
        promo[2] += sign * order.discount_minor


async def move_order(
    session: AsyncSession, order: Order, before: OrderStatus, after: OrderStatus
) -> None:
    """An order's status changed from `before` to `after`: move it between rollup rows."""
    if before == after:
        return
    await count_order(session, order, before, -1)
    await count_order(session, order, after, 1)


def discard_pending(session: AsyncSession) -> None:
    """Forget the transaction's rollup changes (it rolled back)."""
    session.info.pop(_PENDING, None)


async def apply_pending(session: AsyncSession) -> None:
    """Write the transaction's rollup changes: one upsert per key that changed, the keys in
    sorted order, so two transactions never lock the same rollup rows in opposite orders."""
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    hours_upsert, days_upsert, promos_upsert = _upserts(session)
    hours = [
        dict(zip(_HOUR_KEY, key, strict=True), orders=n, total_minor=total, units=units)
        for key, (n, total, units) in sorted(pending.hours.items())
        if n or total or units
    ]
    days = [
        dict(
            zip(_DAY_KEY, key, strict=True), units=units, revenue_minor=revenue, sku=sku, name=name
        )
        for key, (units, revenue, sku, name) in sorted(pending.days.items())
        if units or revenue
    ]
    promos = [
        dict(zip(_PROMO_KEY, key, strict=True), orders=n, total_minor=total, discount_minor=off)
        for key, (n, total, off) in sorted(pending.promos.items())
        if n or total or off
    ]
    if len(hours) == 1 and len(days) == 1 and session.get_bind().dialect.name == "postgresql":
        # One round trip instead of two (an order of one product, a flash sale's): its
        # transaction holds the product's row from the reservation to the commit, and every
        # other buyer of the product waits for it; the hour's row is still locked first.
        params = {f"h_{name}": value for name, value in hours.pop().items()}
        params.update({f"d_{name}": value for name, value in days.pop().items()})
        await session.execute(_pg_hour_and_day(), params)
    for statement, rows in ((hours_upsert, hours), (days_upsert, days), (promos_upsert, promos)):
        if rows:
            await session.execute(statement, rows[0] if len(rows) == 1 else rows)


def _hour_sums(table: Any, excluded: Any) -> dict[str, Any]:
    """An hour's upsert adds the new counts to the row's."""
    return {name: table.c[name] + excluded[name] for name in ("orders", "total_minor", "units")}


def _day_sums(table: Any, excluded: Any) -> dict[str, Any]:
    """A day's upsert adds the units and revenue, and keeps the product's latest SKU and name."""
    return {
        "units": table.c.units + excluded.units,
        "revenue_minor": table.c.revenue_minor + excluded.revenue_minor,
        "sku": excluded.sku,
        "name": excluded.name,
    }


_HOUR_AND_DAY: list[Any] = []


def _pg_hour_and_day() -> Any:
    """PostgreSQL: the hour's upsert as a data-modifying CTE whose row the day's upsert
    selects from, so the hour is written (and its row locked) first, as apply_pending's sorted
    order does everywhere else: two transactions never take the two rows in opposite orders."""
    if _HOUR_AND_DAY:
        return _HOUR_AND_DAY[0]
    hours_table = cast(Table, SalesHourRow.__table__)
    days_table = cast(Table, ProductSalesDayRow.__table__)
    hour_columns = (*_HOUR_KEY, "orders", "total_minor", "units")
    day_columns = (*_DAY_KEY, "units", "revenue_minor", "sku", "name")
    hours = pg_insert(hours_table).values(
        {name: bindparam(f"h_{name}", type_=hours_table.c[name].type) for name in hour_columns}
    )
    hour = (
        hours.on_conflict_do_update(
            index_elements=list(_HOUR_KEY), set_=_hour_sums(hours_table, hours.excluded)
        )
        .returning(hours_table.c.hour)
        .cte("hour_upserted")
    )
    days = pg_insert(days_table).from_select(
        list(day_columns),
        select(
            *(
                bindparam(f"d_{name}", type_=days_table.c[name].type).label(name)
                for name in day_columns
            )
        ).select_from(hour),
    )
    statement = days.on_conflict_do_update(
        index_elements=list(_DAY_KEY), set_=_day_sums(days_table, days.excluded)
    )
    _HOUR_AND_DAY.append(statement)
    return statement


# The upserts, built once per dialect (a statement built per call cost more than running it).
_UPSERTS: dict[str, tuple[Any, Any, Any]] = {}


def _upserts(session: AsyncSession) -> tuple[Any, Any, Any]:
    dialect = session.get_bind().dialect.name
    found = _UPSERTS.get(dialect)
    if found is None:
        insert_ = dialect_insert(session)
        hours_table, days_table = SalesHourRow.__table__, ProductSalesDayRow.__table__
        promos_table = PromoSalesRow.__table__
        hours = insert_(hours_table)
        days = insert_(days_table)
        promos = insert_(promos_table)
        found = _UPSERTS[dialect] = (
            hours.on_conflict_do_update(
                index_elements=list(_HOUR_KEY), set_=_hour_sums(hours_table, hours.excluded)
            ),
            days.on_conflict_do_update(
                index_elements=list(_DAY_KEY), set_=_day_sums(days_table, days.excluded)
            ),
            promos.on_conflict_do_update(
                index_elements=list(_PROMO_KEY),
                set_={
                    name: promos_table.c[name] + promos.excluded[name]
                    for name in ("orders", "total_minor", "discount_minor")
                },
            ),
        )
    return found


def _hour_of(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(HOUR_FORMAT, column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _day_of(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(DAY_FORMAT, column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


async def rebuild(session: AsyncSession) -> None:
    """Recompute the rollups from the orders and their lines (an INSERT ... SELECT each)."""
    await session.execute(delete(SalesHourRow))
    await session.execute(delete(ProductSalesDayRow))
    await session.execute(delete(PromoSalesRow))
    await session.execute(
        insert(PromoSalesRow).from_select(
            ["code", "status", "orders", "total_minor", "discount_minor"],
            select(
                OrderRow.promo_code,
                OrderRow.status,
                func.count(),
                func.sum(OrderRow.total_minor),
                func.sum(OrderRow.discount_minor),
            )
            .where(OrderRow.promo_code.is_not(None))
            .group_by(OrderRow.promo_code, OrderRow.status),
        )
    )
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
