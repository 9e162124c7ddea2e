"""Insight's SQL aggregates: everything is grouped by the database, on SQLite and PostgreSQL
alike, and bounded by a period (orders are indexed by their creation time), so no request
loads the order history into Python. Like every repository, it never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    cast,
    distinct,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.insight.ports import DURATION_BUCKET_MIN, FlowFacts, ProductStockFacts
from domain.insight.rfm import CustomerTotals
from domain.orders.lifecycle import OrderStatus
from storage.insight_sales import SALES_VALUES, TO_SHIP_VALUES, SalesQueries
from storage.tables.catalog import ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow

S = OrderStatus


class SqlInsightRepository(SalesQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.dialect = session.get_bind().dialect.name

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
