"""Insight's use cases: each reads aggregates in one read-only unit of work, then applies the
pure formulas of this feature. A forecast's model fit (Holt-Winters: tens of milliseconds of
CPU) runs in a worker thread (asyncio.to_thread), so the bot's event loop keeps answering
meanwhile; the fit's one-BLAS-thread limit is set inside it (domain/insight/forecast.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from domain.insight.flow import Queue, mm1, percentile_from_histogram
from domain.insight.forecast import Forecast, Method, forecast_series
from domain.insight.ports import FlowFacts, InsightUnitOfWork, ProductStockFacts
from domain.insight.report import Period, Report, fill_days, parse_period
from domain.insight.rfm import CustomerValue, SegmentSummary, score_customers, summarise
from domain.insight.stock import (
    HISTORY_BASIS,
    StockInputs,
    StockPlan,
    demand_from_forecast,
    plan_stock,
)
from domain.shared.clock import Clock
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

TOP_PRODUCTS = 5
BACKTEST_ORIGINS = 3  # forecast_series's default


@dataclass(frozen=True)
class InsightSettings:
    """The shop's defaults for insight (bot/settings.py sets them)."""

    currency: str = "USD"
    lead_days: float = 7.0
    lead_days_max: float = 14.0
    order_cost_minor: int = 2_000  # placing one purchase order
    holding_cost_minor: int = 500  # keeping one unit for a year
    stock_window_days: int = 28
    history_days: int = 180
    horizon_days: int = 14
    work_hours_per_day: float = 8.0


class UnknownProductError(Exception):
    """No product has that SKU."""


class SupplyError(Exception):
    """Lead times must be 0 < average ≤ worst ≤ a year; costs not negative (holding > 0)."""


MAX_LEAD_DAYS = 365


@dataclass(frozen=True)
class ProductForecast:
    """A forecast of one product's units (or, without a product, the shop's revenue)."""

    sku: str | None
    name: str | None
    first_day: date  # the first forecast day
    forecast: Forecast


@dataclass(frozen=True)
class Demand:
    """A product's annual demand D from its forecast, and the forecast's method."""

    annual: float
    method: Method


def _demand(forecast: Forecast) -> Demand | None:
    annual = demand_from_forecast(forecast.values)
    return None if annual is None else Demand(annual, forecast.method)


@dataclass(frozen=True)
class Efficiency:
    """The order flow of a period: M/M/1 beside what was observed."""

    period: Period
    facts: FlowFacts
    queue: Queue
    working_hours: float
    throughput_per_day: float
    # percentiles in minutes: {"placed_to_paid": (p50, p90), ...}
    percentiles: dict[str, tuple[float | None, float | None]]


class Insight:
    """What the merchant can learn from the shop's orders."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[InsightUnitOfWork],
        clock: Clock,
        tz: tzinfo,
        settings: InsightSettings | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.tz = tz
        self.settings = settings or InsightSettings()
        # the day's forecast demand per product (None: no forecast), see annual_demands
        self._demand_day: date | None = None
        self._demand: dict[int, Demand | None] = {}
        self._demand_all = False

    def now(self) -> datetime:
        """The clock's time (UTC)."""
        return self._clock.now()

    def today(self) -> date:
        """The shop's local date."""
        return self._clock.now().astimezone(self.tz).date()

    def _offset_min(self) -> int:
        offset = self._clock.now().astimezone(self.tz).utcoffset() or timedelta()
        return int(offset.total_seconds() // 60)

    # --- reports ---------------------------------------------------------------------------

    async def report(self, words: Sequence[str] = ()) -> Report:
        """The report of the period `/report` was given (PeriodError when it makes no sense)."""
        return await self.report_of(parse_period(words, self.today()))

    async def report_of(self, period: Period) -> Report:
        """The report of a period beside the one before."""
        currency = self.settings.currency
        start, end = period.bounds(self.tz)
        before_start, before_end = period.previous().bounds(self.tz)
        async with self._uow(readonly=True) as uow:
            current = await uow.insight.period_figures(start, end, currency)
            previous = await uow.insight.period_figures(before_start, before_end, currency)
            top = await uow.insight.top_products(start, end, currency, TOP_PRODUCTS)
            daily = await uow.insight.daily_sales(start, end, currency, self._offset_min())
        return Report(period, currency, current, previous, top, fill_days(period, daily))

    # --- customers -------------------------------------------------------------------------

    async def customers(self) -> tuple[list[CustomerValue], list[SegmentSummary]]:
        """Every customer's RFM scores and segment, and what each segment weighs."""
        async with self._uow(readonly=True) as uow:
            totals = await uow.insight.customer_totals(self.settings.currency)
        values = score_customers(totals, self._clock.now())
        return values, summarise(values)

    # --- forecasts -------------------------------------------------------------------------

    def _history_bounds(self) -> tuple[date, datetime, datetime]:
        """History ends with yesterday (today is not over yet)."""
        last = self.today() - timedelta(days=1)
        period = Period(last - timedelta(days=self.settings.history_days - 1), last)
        start, end = period.bounds(self.tz)
        return period.first, start, end

    def _series(self, first: date, by_day: dict[date, int]) -> list[float]:
        return [
            float(by_day.get(first + timedelta(days=i), 0))
            for i in range(self.settings.history_days)
        ]

    async def forecast(self, sku: str | None = None, horizon: int | None = None) -> ProductForecast:
        """The next days of a product's units, or of the shop's revenue without a SKU."""
        days = horizon or self.settings.horizon_days
        first, start, end = self._history_bounds()
        async with self._uow(readonly=True) as uow:
            if sku is None:
                found = await uow.insight.daily_sales(
                    start, end, self.settings.currency, self._offset_min()
                )
                by_day = {d.day: d.revenue_minor for d in found}
                name = None
            else:
                product = await uow.insight.product_by_sku(sku)
                if product is None:
                    raise UnknownProductError(sku)
                product_id, sku, name = product
                units = await uow.insight.daily_units(start, end, self._offset_min(), [product_id])
                by_day = units.get(product_id, {})
        result = await asyncio.to_thread(forecast_series, self._series(first, by_day), days)
        log.info("forecast %s: %s over %d days", sku or "revenue", result.method, days)
        return ProductForecast(sku, name, self.today(), result)

    async def forecast_products(
        self,
        horizon: int | None = None,
        product_ids: Collection[int] | None = None,
        *,
        backtest: bool = True,
    ) -> dict[int, Forecast]:
        """A forecast of every product that sold in the history, or of those of `product_ids`
        that did (one query, then the fits). Without `backtest` only the forecast itself is
        fitted (the same values, a quarter of the fits; no errors, and an interval from the
        history's spread)."""
        origins = BACKTEST_ORIGINS if backtest else 0
        days = horizon or self.settings.horizon_days
        first, start, end = self._history_bounds()
        async with self._uow(readonly=True) as uow:
            units = await uow.insight.daily_units(start, end, self._offset_min(), product_ids)
        series = {pid: self._series(first, u) for pid, u in units.items()}
        return await asyncio.to_thread(
            lambda: {
                pid: forecast_series(values, days, origins=origins)
                for pid, values in series.items()
            }
        )

    # --- stock -----------------------------------------------------------------------------

    async def _stock_facts(self) -> list[ProductStockFacts]:
        s = self.settings
        last = self.today() - timedelta(days=1)
        window = Period(last - timedelta(days=s.stock_window_days - 1), last)
        start, end = window.bounds(self.tz)
        async with self._uow(readonly=True) as uow:
            return await uow.insight.stock_facts(start, end, self._offset_min())

    def _plan(self, f: ProductStockFacts, demand: Demand | None) -> StockPlan:
        s = self.settings
        return plan_stock(
            StockInputs(
                product_id=f.product_id,
                sku=f.sku,
                name=f.name,
                available=f.available,
                units_sold=f.units_sold,
                max_daily=f.max_daily,
                window_days=s.stock_window_days,
                avg_lead_days=f.lead_days if f.lead_days is not None else s.lead_days,
                max_lead_days=f.lead_days_max if f.lead_days_max is not None else s.lead_days_max,
                order_cost_minor=f.order_cost_minor
                if f.order_cost_minor is not None
                else s.order_cost_minor,
                holding_cost_minor=f.holding_cost_minor
                if f.holding_cost_minor is not None
                else s.holding_cost_minor,
                annual_demand=demand.annual if demand is not None else None,
                demand_basis=demand.method.value if demand is not None else HISTORY_BASIS,
            )
        )

    @staticmethod
    def _ordered(plans: Sequence[StockPlan]) -> list[StockPlan]:
        return sorted(plans, key=lambda p: (not p.due, p.available - p.reorder_point, p.sku))

    async def stock_plans(
        self, *, due_first: int | None = None, product_ids: Collection[int] | None = None
    ) -> list[StockPlan]:
        """The plan of every active product, those due for a reorder first, with the EOQ's D
        from the product's demand forecast where it has one (else the window's pace × 365).
        Whose forecasts are fitted: every product's (the restock job), only the first
        `due_first` products due (what /stockplan lists: the reorder point does not depend on
        D, so which are due is known before any fit), or those of `product_ids`. Either way a
        product's D is the same (`annual_demands`), so /stockplan shows what the job stored."""
        facts = await self._stock_facts()
        if due_first is not None:
            plans = self._ordered([self._plan(f, None) for f in facts])
            product_ids = [p.product_id for p in plans if p.due][:due_first]
        demand = await self.annual_demands(product_ids) if product_ids != [] else {}
        return self._ordered([self._plan(f, demand.get(f.product_id)) for f in facts])

    async def annual_demands(self, product_ids: Collection[int] | None = None) -> dict[int, Demand]:
        """D of each product from its forecast (of `product_ids`, or of every product that sold
        in the history). The history ends with yesterday, so a day's forecasts are fitted once
        and kept until the shop's date changes: the restock job fits them all, and /stockplan
        and /supply read the same figures (or fit the few they need, to the same result)."""
        today = self.today()
        if self._demand_day != today:
            self._demand_day, self._demand, self._demand_all = today, {}, False
        if product_ids is None:
            if not self._demand_all:
                fitted = await self.forecast_products(backtest=False)
                self._demand = {pid: _demand(f) for pid, f in fitted.items()}
                self._demand_all = True
            wanted: Collection[int] = self._demand.keys()
        else:
            wanted = product_ids
            missing = [] if self._demand_all else [p for p in wanted if p not in self._demand]
            if missing:
                fitted = await self.forecast_products(product_ids=missing, backtest=False)
                for pid in missing:
                    found = fitted.get(pid)
                    self._demand[pid] = _demand(found) if found is not None else None
        return {pid: d for pid in wanted if (d := self._demand.get(pid)) is not None}

    async def remember_plans(self, plans: Sequence[StockPlan]) -> None:
        """Store each plan's reorder point and EOQ on its product, where the low-stock alert
        and report read them; a product that sold nothing in the window has no known reorder
        point (None), so its alert threshold applies."""
        points = {
            p.product_id: (p.reorder_point, p.eoq) if p.reorder_point > 0 else None for p in plans
        }
        async with self._uow() as uow:
            await uow.products.set_reorder_points(points)
            await uow.commit()

    async def set_supply(
        self,
        sku: str,
        lead_days: float,
        lead_days_max: float,
        order_cost_minor: int | None = None,
        holding_cost_minor: int | None = None,
    ) -> StockPlan | None:
        """Set a product's lead times (and costs); returns its plan with them."""
        if not 0 < lead_days <= lead_days_max <= MAX_LEAD_DAYS:
            raise SupplyError()
        if (order_cost_minor is not None and order_cost_minor < 0) or (
            holding_cost_minor is not None and holding_cost_minor <= 0
        ):
            raise SupplyError()
        async with self._uow() as uow:
            product = await uow.insight.product_by_sku(sku)
            if product is None:
                raise UnknownProductError(sku)
            await uow.insight.set_supply(
                product[0], lead_days, lead_days_max, order_cost_minor, holding_cost_minor
            )
            await uow.commit()
        log.info(
            "supply of %s set: lead %.1f/%.1f days, costs %s/%s",
            product[1],
            lead_days,
            lead_days_max,
            order_cost_minor,
            holding_cost_minor,
        )
        found = [
            p
            for p in await self.stock_plans(product_ids=[product[0]])
            if p.product_id == product[0]
        ]
        await self.remember_plans(found)  # the alerts use the new reorder point at once
        return found[0] if found else None  # None: the product is not on sale

    # --- flow ------------------------------------------------------------------------------

    async def efficiency(self, words: Sequence[str] = ("week",)) -> Efficiency:
        """λ, μ, ρ, Lq and Wq of a period beside its observed backlog and durations."""
        period = parse_period(list(words) or ["week"], self.today())
        start, end = period.bounds(self.tz)
        async with self._uow(readonly=True) as uow:
            facts = await uow.insight.flow_facts(start, end)
        # the shop worked at least the hours in which it shipped something
        working_hours = max(period.days * self.settings.work_hours_per_day, facts.shipping_hours)
        arrival = facts.arrivals / working_hours
        service = facts.shipped / facts.shipping_hours if facts.shipping_hours else 0.0
        percentiles = {
            name: (percentile_from_histogram(h, 0.5), percentile_from_histogram(h, 0.9))
            for name, h in (
                ("placed_to_paid", facts.placed_to_paid),
                ("paid_to_shipped", facts.paid_to_shipped),
                ("shipped_to_delivered", facts.shipped_to_delivered),
            )
        }
        return Efficiency(
            period=period,
            facts=facts,
            queue=mm1(arrival, service),
            working_hours=working_hours,
            throughput_per_day=facts.shipped / period.days,
            percentiles=percentiles,
        )
