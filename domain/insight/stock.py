"""Stock planning: safety stock, reorder point and economic order quantity.

With daily sales d (average d̄, maximum d_max over a window) and a supplier's lead time L
(average L̄, maximum L_max, in days):

    safety stock   SS  = d_max × L_max − d̄ × L̄
    reorder point  ROP = SS + d̄ × L̄
    EOQ                = √(2 D S / H)

D is the annual demand in units, S the cost of placing one order and H the cost of holding one
unit for a year (both in minor units, so the money units cancel). D comes from the product's
demand forecast where it has one (the forecast's mean day × 365, `demand_from_forecast`), else
from the window's pace (d̄ × 365); the plan says which (`demand_basis`). Units are whole: SS and ROP
round up (a fraction of a unit short is a unit short), EOQ rounds to the nearest unit, at
least 1."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DAYS_PER_YEAR = 365
HISTORY_BASIS = "history"  # D = the window's pace × 365; otherwise the forecast's method


def safety_stock(
    avg_daily: float, max_daily: float, avg_lead_days: float, max_lead_days: float
) -> int:
    """Units kept for the worst day-rate over the worst lead time: d_max·L_max − d̄·L̄, ≥ 0."""
    if min(avg_daily, max_daily, avg_lead_days, max_lead_days) < 0:
        raise ValueError("sales and lead times cannot be negative")
    return max(math.ceil(max_daily * max_lead_days - avg_daily * avg_lead_days - 1e-9), 0)


def reorder_point(safety: int, avg_daily: float, avg_lead_days: float) -> int:
    """The available stock at which to order: SS + d̄·L̄ (rounded up)."""
    return safety + math.ceil(avg_daily * avg_lead_days - 1e-9)


def economic_order_quantity(
    annual_demand: float, order_cost_minor: int, holding_cost_minor: int
) -> int:
    """EOQ = √(2DS/H) in whole units (at least 1 when there is demand, 0 without)."""
    if holding_cost_minor <= 0:
        raise ValueError("the holding cost per unit-year must be positive")
    if annual_demand <= 0:
        return 0
    return max(round(math.sqrt(2 * annual_demand * order_cost_minor / holding_cost_minor)), 1)


@dataclass(frozen=True)
class StockInputs:
    """What the plan of one product needs; sales are over the window's days."""

    product_id: int
    sku: str
    name: str
    available: int
    units_sold: int  # in the window
    max_daily: int  # the best day of the window
    window_days: int
    avg_lead_days: float
    max_lead_days: float
    order_cost_minor: int
    holding_cost_minor: int
    annual_demand: float | None = None  # from a forecast; None: the window's pace × 365
    demand_basis: str = HISTORY_BASIS  # the forecast's method when annual_demand is given


@dataclass(frozen=True)
class StockPlan:
    """The plan of one product."""

    product_id: int
    sku: str
    name: str
    available: int
    avg_daily: float
    max_daily: int
    safety_stock: int
    reorder_point: int
    eoq: int
    annual_demand: float = 0.0  # the D of the EOQ, in units a year
    demand_basis: str = HISTORY_BASIS  # where D came from: "history" or a forecast method

    @property
    def due(self) -> bool:
        """Whether the product is at or below its reorder point (and sells at all)."""
        return self.reorder_point > 0 and self.available <= self.reorder_point

    @property
    def suggested(self) -> int:
        """Units to order now: the EOQ, or more if that would not lift stock above the ROP."""
        return max(self.eoq, self.reorder_point - self.available + 1, 1)


def demand_from_forecast(values: Sequence[float]) -> float | None:
    """D from a forecast of daily units: their mean × 365 (None: no forecast, or one of no
    sales, where the history's pace is the better guess)."""
    if not values or sum(values) <= 0:
        return None
    return sum(values) / len(values) * DAYS_PER_YEAR


def plan_stock(inputs: StockInputs) -> StockPlan:
    """Safety stock, reorder point and EOQ of one product from its window of sales."""
    if inputs.window_days <= 0:
        raise ValueError("the sales window must have at least one day")
    avg = inputs.units_sold / inputs.window_days
    max_lead = max(inputs.max_lead_days, inputs.avg_lead_days)
    ss = safety_stock(avg, inputs.max_daily, inputs.avg_lead_days, max_lead)
    rop = reorder_point(ss, avg, inputs.avg_lead_days)
    forecast = inputs.annual_demand is not None
    annual = inputs.annual_demand if inputs.annual_demand is not None else avg * DAYS_PER_YEAR
    return StockPlan(
        product_id=inputs.product_id,
        sku=inputs.sku,
        name=inputs.name,
        available=inputs.available,
        avg_daily=avg,
        max_daily=inputs.max_daily,
        safety_stock=ss,
        reorder_point=rop,
        eoq=economic_order_quantity(annual, inputs.order_cost_minor, inputs.holding_cost_minor),
        annual_demand=annual,
        demand_basis=inputs.demand_basis if forecast else HISTORY_BASIS,
    )
