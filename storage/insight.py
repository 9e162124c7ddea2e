"""Insight's SQL aggregates: everything is grouped by the database, on SQLite and PostgreSQL
alike, and bounded by a period (orders are indexed by their creation time), so no request
loads the order history into Python. Like every repository, it never commits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.insight.ports import DURATION_BUCKET_MIN, FlowFacts, ProductStockFacts
from domain.insight.report import DaySales, PeriodFigures, ProductSales
from domain.insight.restock_records import RestockRequest, RestockStatus
from domain.insight.rfm import CustomerTotals
from domain.insight.stock import StockPlan
from domain.orders.lifecycle import OrderStatus
from domain.payments.records import RefundStatus
from storage.base import dialect_insert
from storage.rollups import day_key, hour_key, hour_start, whole_days, whole_hours
from storage.tables.catalog import ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.insight import ProductSalesDayRow, RestockRequestRow, SalesHourRow
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow
from storage.tables.payments import RefundRow

S = OrderStatus
# Orders that count as sold (report.py's definition).
SALES = (S.CONFIRMED, S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED)
SALES_VALUES = [s.value for s in SALES]
TO_SHIP_VALUES = [S.PAID.value, S.CONFIRMED.value]


@dataclass
class _Part:
    """Order figures of a stretch of a period (summed with the other stretches)."""

    orders: int = 0
    sales: int = 0
    cancelled: int = 0
    revenue: int = 0
    units: int = 0
    mix: dict[str, tuple[int, int]] = field(default_factory=dict)


class SqlInsightRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.dialect = session.get_bind().dialect.name

    # --- dialect helpers -------------------------------------------------------------------

    def _local_day(self, column: Any, utc_offset_min: int) -> ColumnElement[Any]:
        """The local calendar day of a UTC timestamp, as 'YYYY-MM-DD' text."""
        if self.dialect == "sqlite":
            return func.date(column, f"{utc_offset_min:+d} minutes")
        shifted = func.timezone("UTC", column) + func.make_interval(0, 0, 0, 0, 0, utc_offset_min)
        return func.to_char(shifted, "YYYY-MM-DD")

    def _hour(self, column: Any) -> ColumnElement[Any]:
        """The UTC clock hour of a timestamp, as text."""
        if self.dialect == "sqlite":
            return func.strftime("%Y-%m-%d %H", column)
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")

    def _minutes_between(self, earlier: Any, later: Any) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            return (func.julianday(later) - func.julianday(earlier)) * 1440.0
        return func.extract("epoch", later - earlier) / 60.0

    # --- reports ---------------------------------------------------------------------------

    async def period_figures(self, start: datetime, end: datetime, currency: str) -> PeriodFigures:
        # The whole UTC hours of the period from the rollups, the parts of an hour at either
        # end (a shop in a half-hour time zone) from the orders: the same sums, read from
        # about 720 rows for a month instead of every order and line of it (issue 18).
        first, last = whole_hours(start, end)
        if first >= last:
            return await self.period_figures_from_orders(start, end, currency)
        parts = [await self._rolled_order_parts(first, last, currency)]
        for a, b in ((start, first), (last, end)):
            if a < b:
                parts.append(await self._order_parts(a, b, currency))
        mix: dict[str, tuple[int, int]] = {}
        for part in parts:
            for method, (n, total) in part.mix.items():
                before = mix.get(method, (0, 0))
                mix[method] = (before[0] + n, before[1] + total)
        refunded, refunds_minor = await self._refund_parts(start, end, currency)
        new, returning = await self._customer_parts(start, end, currency)
        return PeriodFigures(
            orders=sum(p.orders for p in parts),
            sales=sum(p.sales for p in parts),
            cancelled=sum(p.cancelled for p in parts),
            revenue_minor=sum(p.revenue for p in parts),
            refunded=refunded,
            refunds_minor=refunds_minor,
            units=sum(p.units for p in parts),
            new_customers=new,
            returning_customers=returning,
            payment_mix={m: v for m, v in mix.items() if v[0]},
        )

    async def period_figures_from_orders(
        self, start: datetime, end: datetime, currency: str
    ) -> PeriodFigures:
        """The period's figures computed from the orders themselves (short periods; and what
        the rollups must agree with)."""
        part = await self._order_parts(start, end, currency)
        refunded, refunds_minor = await self._refund_parts(start, end, currency)
        new, returning = await self._customer_parts(start, end, currency)
        return PeriodFigures(
            orders=part.orders,
            sales=part.sales,
            cancelled=part.cancelled,
            revenue_minor=part.revenue,
            refunded=refunded,
            refunds_minor=refunds_minor,
            units=part.units,
            new_customers=new,
            returning_customers=returning,
            payment_mix=part.mix,
        )

    async def _rolled_order_parts(self, first: datetime, last: datetime, currency: str) -> _Part:
        rows = await self.s.execute(
            select(
                SalesHourRow.status,
                SalesHourRow.payment_method,
                func.sum(SalesHourRow.orders),
                func.sum(SalesHourRow.total_minor),
                func.sum(SalesHourRow.units),
            )
            .where(
                SalesHourRow.hour >= hour_key(first),
                SalesHourRow.hour < hour_key(last),
                SalesHourRow.currency == currency,
            )
            .group_by(SalesHourRow.status, SalesHourRow.payment_method)
        )
        part = _Part()
        for status, method, n, total, units in rows:
            n, total, units = int(n or 0), int(total or 0), int(units or 0)
            part.orders += n
            if status == S.CANCELLED.value:
                part.cancelled += n
            if status in SALES_VALUES:
                part.sales += n
                part.revenue += total
                part.units += units
                before = part.mix.get(method, (0, 0))
                part.mix[method] = (before[0] + n, before[1] + total)
        return part

    async def _order_parts(self, start: datetime, end: datetime, currency: str) -> _Part:
        in_period = and_(
            OrderRow.created_at >= start, OrderRow.created_at < end, OrderRow.currency == currency
        )
        is_sale = OrderRow.status.in_(SALES_VALUES)
        totals = (
            await self.s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((is_sale, 1), else_=0)), 0),
                    func.coalesce(
                        func.sum(case((OrderRow.status == S.CANCELLED.value, 1), else_=0)), 0
                    ),
                    func.coalesce(func.sum(case((is_sale, OrderRow.total_minor), else_=0)), 0),
                ).where(in_period)
            )
        ).one()
        mix = await self.s.execute(
            select(OrderRow.payment_method, func.count(), func.sum(OrderRow.total_minor))
            .where(in_period, is_sale)
            .group_by(OrderRow.payment_method)
        )
        units = await self.s.scalar(
            select(func.coalesce(func.sum(OrderLineRow.quantity), 0))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(in_period, is_sale)
        )
        return _Part(
            orders=int(totals[0]),
            sales=int(totals[1]),
            cancelled=int(totals[2]),
            revenue=int(totals[3]),
            units=int(units or 0),
            mix={method: (int(n), int(total)) for method, n, total in mix.all()},
        )

    async def _refund_parts(self, start: datetime, end: datetime, currency: str) -> tuple[int, int]:
        in_period = and_(
            OrderRow.created_at >= start, OrderRow.created_at < end, OrderRow.currency == currency
        )
        refunds = (
            await self.s.execute(
                select(
                    func.count(distinct(RefundRow.order_id)),
                    func.coalesce(func.sum(RefundRow.amount_minor), 0),
                )
                .join(OrderRow, OrderRow.id == RefundRow.order_id)
                .where(in_period, RefundRow.status == RefundStatus.DONE.value)
            )
        ).one()
        return int(refunds[0]), int(refunds[1])

    async def _customer_parts(
        self, start: datetime, end: datetime, currency: str
    ) -> tuple[int, int]:
        """(new, returning) buyers of the period: returning ones had ordered before it."""
        in_period = and_(
            OrderRow.created_at >= start, OrderRow.created_at < end, OrderRow.currency == currency
        )
        is_sale = OrderRow.status.in_(SALES_VALUES)
        buyers = (
            select(OrderRow.customer_id).where(in_period, is_sale).distinct().subquery("buyers")
        )
        earlier = aliased(OrderRow)
        ordered_before = exists().where(
            earlier.customer_id == buyers.c.customer_id, earlier.created_at < start
        )
        # One EXISTS per buyer (a CASE per column evaluated it twice).
        buyers_count, returning = (
            await self.s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((ordered_before, 1), else_=0)), 0),
                ).select_from(buyers)
            )
        ).one()
        return int(buyers_count) - int(returning), int(returning)

    async def top_products(
        self, start: datetime, end: datetime, currency: str, limit: int
    ) -> list[ProductSales]:
        # Whole UTC days from the rollup, the day parts at either end from the lines.
        first, last = whole_days(start, end)
        if first >= last:
            return await self.top_products_from_orders(start, end, currency, limit)
        found: dict[int, list[Any]] = {}
        rolled = await self.s.execute(
            select(
                ProductSalesDayRow.product_id,
                func.max(ProductSalesDayRow.sku),
                func.max(ProductSalesDayRow.name),
                func.sum(ProductSalesDayRow.units),
                func.sum(ProductSalesDayRow.revenue_minor),
            )
            .where(
                ProductSalesDayRow.day >= day_key(first),
                ProductSalesDayRow.day < day_key(last),
                ProductSalesDayRow.currency == currency,
                ProductSalesDayRow.status.in_(SALES_VALUES),
            )
            .group_by(ProductSalesDayRow.product_id)
        )
        edges = [
            await self.top_products_from_orders(a, b, currency, None)
            for a, b in ((start, first), (last, end))
            if a < b
        ]
        rows: list[Any] = [tuple(r) for r in rolled] + [
            (p.product_id, p.sku, p.name, p.units, p.revenue_minor) for edge in edges for p in edge
        ]
        for product_id, sku, name, units, revenue in rows:
            entry = found.setdefault(product_id, [sku, name, 0, 0])
            entry[0], entry[1] = max(entry[0], sku), max(entry[1], name)
            entry[2] += int(units or 0)
            entry[3] += int(revenue or 0)
        ranked = sorted(
            (
                ProductSales(pid, sku, name, units, revenue)
                for pid, (sku, name, units, revenue) in found.items()
                if units
            ),
            key=lambda p: (-p.revenue_minor, p.product_id),
        )
        return ranked[:limit]

    async def top_products_from_orders(
        self, start: datetime, end: datetime, currency: str, limit: int | None
    ) -> list[ProductSales]:
        """Top products computed from the order lines (None: every product sold)."""
        revenue = func.sum(OrderLineRow.unit_price_minor * OrderLineRow.quantity)
        query = (
            select(
                OrderLineRow.product_id,
                func.max(OrderLineRow.sku),
                func.max(OrderLineRow.name),
                func.sum(OrderLineRow.quantity),
                revenue,
            )
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderRow.created_at >= start,
                OrderRow.created_at < end,
                OrderRow.currency == currency,
                OrderRow.status.in_(SALES_VALUES),
            )
            .group_by(OrderLineRow.product_id)
            .order_by(revenue.desc(), OrderLineRow.product_id)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = await self.s.execute(query)
        return [ProductSales(pid, sku, name, int(u), int(r)) for pid, sku, name, u, r in rows]

    async def daily_sales(
        self, start: datetime, end: datetime, currency: str, utc_offset_min: int
    ) -> list[DaySales]:
        first, last = whole_hours(start, end)
        if utc_offset_min % 60 or first >= last:  # local days are not made of UTC hours
            return await self.daily_sales_from_orders(start, end, currency, utc_offset_min)
        days: dict[date, list[int]] = {}
        rolled = await self.s.execute(
            select(
                SalesHourRow.hour, func.sum(SalesHourRow.orders), func.sum(SalesHourRow.total_minor)
            )
            .where(
                SalesHourRow.hour >= hour_key(first),
                SalesHourRow.hour < hour_key(last),
                SalesHourRow.currency == currency,
                SalesHourRow.status.in_(SALES_VALUES),
            )
            .group_by(SalesHourRow.hour)
        )
        shift = timedelta(minutes=utc_offset_min)
        rows = [((hour_start(h) + shift).date(), n, r) for h, n, r in rolled]
        for a, b in ((start, first), (last, end)):
            if a < b:
                edge = await self.daily_sales_from_orders(a, b, currency, utc_offset_min)
                rows += [(d.day, d.orders, d.revenue_minor) for d in edge]
        for day, n, revenue in rows:
            entry = days.setdefault(day, [0, 0])
            entry[0] += int(n or 0)
            entry[1] += int(revenue or 0)
        return [DaySales(d, n, r) for d, (n, r) in sorted(days.items()) if n]

    async def daily_sales_from_orders(
        self, start: datetime, end: datetime, currency: str, utc_offset_min: int
    ) -> list[DaySales]:
        """Sales per local day computed from the orders."""
        day = self._local_day(OrderRow.created_at, utc_offset_min).label("day")
        rows = await self.s.execute(
            select(day, func.count(), func.sum(OrderRow.total_minor))
            .where(
                OrderRow.created_at >= start,
                OrderRow.created_at < end,
                OrderRow.currency == currency,
                OrderRow.status.in_(SALES_VALUES),
            )
            .group_by(day)
            .order_by(day)
        )
        return [DaySales(date.fromisoformat(d), int(n), int(r)) for d, n, r in rows]

    async def daily_units(
        self,
        start: datetime,
        end: datetime,
        utc_offset_min: int,
        product_ids: Collection[int] | None = None,
    ) -> dict[int, dict[date, int]]:
        day = self._local_day(OrderRow.created_at, utc_offset_min).label("day")
        query = (
            select(OrderLineRow.product_id, day, func.sum(OrderLineRow.quantity))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderRow.created_at >= start,
                OrderRow.created_at < end,
                OrderRow.status.in_(SALES_VALUES),
            )
            .group_by(OrderLineRow.product_id, day)
        )
        if product_ids is not None:
            query = query.where(OrderLineRow.product_id.in_(list(product_ids)))
        out: dict[int, dict[date, int]] = {}
        for product_id, d, units in await self.s.execute(query):
            out.setdefault(product_id, {})[date.fromisoformat(d)] = int(units)
        return out

    # --- customers -------------------------------------------------------------------------

    async def customer_totals(self, currency: str) -> list[CustomerTotals]:
        per_customer = (
            select(
                OrderRow.customer_id.label("customer_id"),
                func.count().label("orders"),
                func.sum(OrderRow.total_minor).label("revenue"),
                func.max(OrderRow.created_at).label("last_at"),
            )
            .where(OrderRow.status.in_(SALES_VALUES), OrderRow.currency == currency)
            .group_by(OrderRow.customer_id)
            .subquery("per_customer")
        )
        rows = await self.s.execute(
            select(
                per_customer.c.customer_id,
                CustomerRow.first_name,
                per_customer.c.orders,
                per_customer.c.revenue,
                per_customer.c.last_at,
            )
            .join(CustomerRow, CustomerRow.id == per_customer.c.customer_id)
            .order_by(per_customer.c.customer_id)
        )
        return [
            CustomerTotals(int(cid), name, int(n), int(revenue), last_at)
            for cid, name, n, revenue, last_at in rows
        ]

    async def set_supply(
        self,
        product_id: int,
        lead_days: float,
        lead_days_max: float,
        order_cost_minor: int | None,
        holding_cost_minor: int | None,
    ) -> None:
        values: dict[str, Any] = {"lead_time_days": lead_days, "lead_time_max_days": lead_days_max}
        if order_cost_minor is not None:
            values["order_cost_minor"] = order_cost_minor
        if holding_cost_minor is not None:
            values["holding_cost_minor"] = holding_cost_minor
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def product_by_sku(self, sku: str) -> tuple[int, str, str] | None:
        row = (
            await self.s.execute(
                select(ProductRow.id, ProductRow.sku, ProductRow.name).where(
                    func.lower(ProductRow.sku) == sku.strip().lower()
                )
            )
        ).first()
        return None if row is None else (int(row[0]), row[1], row[2])

    # --- stock -----------------------------------------------------------------------------

    async def stock_facts(
        self, start: datetime, end: datetime, utc_offset_min: int
    ) -> list[ProductStockFacts]:
        day = self._local_day(OrderRow.created_at, utc_offset_min).label("day")
        per_day = (
            select(
                OrderLineRow.product_id.label("product_id"),
                day,
                func.sum(OrderLineRow.quantity).label("units"),
            )
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderRow.created_at >= start,
                OrderRow.created_at < end,
                OrderRow.status.in_(SALES_VALUES),
            )
            .group_by(OrderLineRow.product_id, day)
            .subquery("per_day")
        )
        per_product = (
            select(
                per_day.c.product_id,
                func.sum(per_day.c.units).label("units"),
                func.max(per_day.c.units).label("best"),
            )
            .group_by(per_day.c.product_id)
            .subquery("per_product")
        )
        rows = await self.s.execute(
            select(
                ProductRow,
                func.coalesce(per_product.c.units, 0),
                func.coalesce(per_product.c.best, 0),
            )
            .outerjoin(per_product, per_product.c.product_id == ProductRow.id)
            .where(ProductRow.active)
            .order_by(ProductRow.id)
        )
        return [
            ProductStockFacts(
                product_id=row.id,
                sku=row.sku,
                name=row.name,
                available=row.stock - row.reserved,
                units_sold=int(units),
                max_daily=int(best),
                lead_days=row.lead_time_days,
                lead_days_max=row.lead_time_max_days,
                order_cost_minor=row.order_cost_minor,
                holding_cost_minor=row.holding_cost_minor,
            )
            for row, units, best in rows
        ]

    # --- flow ------------------------------------------------------------------------------

    async def _count_events(self, start: datetime, end: datetime, where: Any) -> int:
        return int(
            await self.s.scalar(
                select(func.count(distinct(OrderEventRow.order_id))).where(
                    where, OrderEventRow.created_at >= start, OrderEventRow.created_at < end
                )
            )
            or 0
        )

    async def _durations(
        self, start: datetime, end: datetime, from_where: Any, to_status: str
    ) -> list[tuple[int, int]]:
        """Histogram of minutes from the first `from` event to a `to_status` event ending in
        [start, end), one per order."""
        a = aliased(OrderEventRow)
        b = aliased(OrderEventRow)
        spans = (
            select(b.created_at.label("ended"), func.min(a.created_at).label("began"))
            .join(a, and_(a.order_id == b.order_id, from_where(a)))
            .where(b.to_status == to_status, b.created_at >= start, b.created_at < end)
            .group_by(b.id, b.created_at)
            .subquery("spans")
        )
        minutes = self._minutes_between(spans.c.began, spans.c.ended)
        steps = minutes / DURATION_BUCKET_MIN
        # Durations are never negative, so SQLite's truncating cast is a floor.
        whole = cast(steps, Integer) if self.dialect == "sqlite" else func.floor(steps)
        bucket = (whole * DURATION_BUCKET_MIN).label("bucket")
        rows = await self.s.execute(select(bucket, func.count()).group_by(bucket).order_by(bucket))
        return [(max(int(m), 0), int(n)) for m, n in rows]

    async def flow_facts(self, start: datetime, end: datetime) -> FlowFacts:
        arrivals = await self._count_events(start, end, OrderEventRow.to_status.in_(TO_SHIP_VALUES))
        placed = int(
            await self.s.scalar(
                select(func.count()).where(OrderRow.created_at >= start, OrderRow.created_at < end)
            )
            or 0
        )
        shipped = await self._count_events(start, end, OrderEventRow.to_status == S.SHIPPED.value)
        hour = self._hour(OrderEventRow.created_at)
        shipping_hours = await self.s.scalar(
            select(func.count(distinct(hour))).where(
                OrderEventRow.to_status == S.SHIPPED.value,
                OrderEventRow.created_at >= start,
                OrderEventRow.created_at < end,
            )
        )
        backlog = await self.s.scalar(
            select(func.count()).where(OrderRow.status.in_(TO_SHIP_VALUES))
        )
        return FlowFacts(
            arrivals=arrivals,
            placed=placed,
            shipped=shipped,
            shipping_hours=int(shipping_hours or 0),
            backlog=int(backlog or 0),
            placed_to_paid=await self._durations(
                start, end, lambda e: e.type == "placed", S.PAID.value
            ),
            paid_to_shipped=await self._durations(
                start, end, lambda e: e.to_status.in_(TO_SHIP_VALUES), S.SHIPPED.value
            ),
            shipped_to_delivered=await self._durations(
                start, end, lambda e: e.to_status == S.SHIPPED.value, S.DELIVERED.value
            ),
        )


class SqlRestockRepository:
    """Restock requests; at most one active per product (a partial unique index)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, plan: StockPlan, quantity: int, at: datetime) -> int | None:
        insert = dialect_insert(self.s)
        result = await self.s.execute(
            insert(RestockRequestRow)
            .values(
                product_id=plan.product_id,
                quantity=quantity,
                reorder_point=plan.reorder_point,
                available=plan.available,
                status=RestockStatus.OPEN.value,
                supplier_note=None,
                actor=None,
                created_at=at,
                updated_at=at,
                closed_at=None,
            )
            .on_conflict_do_nothing(
                index_elements=["product_id"], index_where=RestockRequestRow.closed_at.is_(None)
            )
            .returning(RestockRequestRow.id)
        )
        found = result.scalar()
        return None if found is None else int(found)

    def _select(self) -> Any:
        return select(RestockRequestRow, ProductRow.sku, ProductRow.name).join(
            ProductRow, ProductRow.id == RestockRequestRow.product_id
        )

    @staticmethod
    def _of(row: RestockRequestRow, sku: str, name: str) -> RestockRequest:
        return RestockRequest(
            id=row.id,
            product_id=row.product_id,
            sku=sku,
            name=name,
            quantity=row.quantity,
            reorder_point=row.reorder_point,
            available=row.available,
            status=RestockStatus(row.status),
            supplier_note=row.supplier_note or "",
            created_at=row.created_at,
        )

    async def get(self, request_id: int) -> RestockRequest | None:
        found = (
            await self.s.execute(
                self._select()
                .where(RestockRequestRow.id == request_id)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if found is None else self._of(*found)

    async def active(self, limit: int) -> list[RestockRequest]:
        rows = await self.s.execute(
            self._select()
            .where(RestockRequestRow.closed_at.is_(None))
            .order_by(RestockRequestRow.created_at, RestockRequestRow.id)
            .limit(limit)
        )
        return [self._of(*row) for row in rows.all()]

    async def move(
        self,
        request_id: int,
        before: Collection[RestockStatus],
        after: RestockStatus,
        actor: str,
        at: datetime,
    ) -> bool:
        closing = after not in (RestockStatus.OPEN, RestockStatus.APPROVED)
        result = await self.s.execute(
            update(RestockRequestRow)
            .where(
                RestockRequestRow.id == request_id,
                RestockRequestRow.status.in_([b.value for b in before]),
            )
            .values(
                status=after.value, actor=actor, updated_at=at, closed_at=at if closing else None
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def edit(
        self, request_id: int, quantity: int, note: str, actor: str, at: datetime
    ) -> bool:
        result = await self.s.execute(
            update(RestockRequestRow)
            .where(RestockRequestRow.id == request_id, RestockRequestRow.closed_at.is_(None))
            .values(quantity=quantity, supplier_note=note or None, actor=actor, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
