"""What insight reads: aggregates the database computes (see storage/insight.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from domain.insight.report import DaySales, PeriodFigures, ProductSales
from domain.insight.restock_records import RestockRepository
from domain.insight.rfm import CustomerTotals
from domain.merchant.ports import MerchantUnitOfWork


@dataclass(frozen=True)
class ProductStockFacts:
    """A product's stock, its window of sales and its supply settings (None: the default)."""

    product_id: int
    sku: str
    name: str
    available: int
    units_sold: int
    max_daily: int
    lead_days: float | None
    lead_days_max: float | None
    order_cost_minor: int | None
    holding_cost_minor: int | None


@dataclass(frozen=True)
class FlowFacts:
    """Counts of the order flow in [start, end), and the backlog now.

    Durations are histograms: (minutes, orders), minutes rounded down to DURATION_BUCKET_MIN."""

    arrivals: int  # orders that became to-ship (paid, or confirmed cash on delivery)
    placed: int
    shipped: int
    shipping_hours: int  # distinct clock hours in which anything was shipped
    backlog: int  # orders waiting to be shipped now
    placed_to_paid: list[tuple[int, int]]
    paid_to_shipped: list[tuple[int, int]]
    shipped_to_delivered: list[tuple[int, int]]


DURATION_BUCKET_MIN = 15


class InsightRepository(Protocol):
    """SQL aggregates over orders, order lines, order events and refunds."""

    async def period_figures(
        self, start: datetime, end: datetime, currency: str
    ) -> PeriodFigures: ...

    async def top_products(
        self, start: datetime, end: datetime, currency: str, limit: int
    ) -> list[ProductSales]: ...

    async def daily_sales(
        self, start: datetime, end: datetime, currency: str, utc_offset_min: int
    ) -> list[DaySales]: ...

    async def daily_units(
        self,
        start: datetime,
        end: datetime,
        utc_offset_min: int,
        product_ids: Collection[int] | None = None,
    ) -> dict[int, dict[date, int]]: ...

    async def customer_totals(self, currency: str) -> list[CustomerTotals]: ...

    async def set_supply(
        self,
        product_id: int,
        lead_days: float,
        lead_days_max: float,
        order_cost_minor: int | None,
        holding_cost_minor: int | None,
    ) -> None:
        """A product's supplier lead times and, when given, its order and holding costs."""
        ...

    async def product_by_sku(self, sku: str) -> tuple[int, str, str] | None:
        """(id, sku, name) of a product, the SKU compared without case."""
        ...

    async def stock_facts(
        self, start: datetime, end: datetime, utc_offset_min: int
    ) -> list[ProductStockFacts]: ...

    async def flow_facts(self, start: datetime, end: datetime) -> FlowFacts: ...


class InsightUnitOfWork(MerchantUnitOfWork, Protocol):
    """The merchant's unit of work with the insight aggregates."""

    @property
    def insight(self) -> InsightRepository: ...

    @property
    def restocks(self) -> RestockRepository: ...
