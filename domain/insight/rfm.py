"""Customer value: RFM (recency, frequency, monetary) scores and named segments.

Each customer gets three scores from 1 to 5 by rank among the shop's customers: a score is
1 + ⌊5 × (customers strictly worse) / (all customers)⌋, so equal values share a score and the
best fifth scores 5. Recency is better when fewer days have passed since the last order.

Segments are checked in this order (R, F are the scores; `orders` is the real count):

    champions   R ≥ 4 and F ≥ 4         bought lately and often
    loyal       R ≥ 3 and F ≥ 3         buy regularly
    new         R ≥ 4 and orders = 1    their first order was recent
    at_risk     R ≤ 2 and F ≥ 3         used to buy often, not lately
    lost        R ≤ 2                   few orders, long ago
    promising   everyone else           recent-ish, not yet frequent"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Segment(StrEnum):
    """A named group of customers (in the order the rules are checked)."""

    CHAMPIONS = "champions"
    LOYAL = "loyal"
    NEW = "new"
    AT_RISK = "at_risk"
    LOST = "lost"
    PROMISING = "promising"


@dataclass(frozen=True)
class CustomerTotals:
    """One customer's sales orders, aggregated by the database."""

    customer_id: int
    name: str
    orders: int
    revenue_minor: int
    last_order_at: datetime


@dataclass(frozen=True)
class CustomerValue:
    """A customer's scores and segment."""

    totals: CustomerTotals
    recency_days: int
    r: int
    f: int
    m: int
    segment: Segment


@dataclass(frozen=True)
class SegmentSummary:
    """What a segment weighs."""

    segment: Segment
    customers: int
    revenue_minor: int
    orders: int
    revenue_share: float  # of all customers' revenue, 0..1

    @property
    def average_order_minor(self) -> int:
        """Average order value in minor units (rounded half up)."""
        return (self.revenue_minor * 2 + self.orders) // (2 * self.orders) if self.orders else 0


def quintile_scores(values: Sequence[float], *, higher_is_better: bool = True) -> list[int]:
    """A 1..5 score per value: 1 + ⌊5 × (values strictly worse) / n⌋."""
    n = len(values)
    ordered = sorted(values)
    scores = []
    for value in values:
        worse = (
            bisect_left(ordered, value) if higher_is_better else n - bisect_right(ordered, value)
        )
        scores.append(1 + (5 * worse) // n)
    return scores


def segment_of(r: int, f: int, orders: int) -> Segment:
    """The segment of R and F scores (see the module docstring)."""
    if r >= 4 and f >= 4:
        return Segment.CHAMPIONS
    if r >= 3 and f >= 3:
        return Segment.LOYAL
    if r >= 4 and orders == 1:
        return Segment.NEW
    if r <= 2 and f >= 3:
        return Segment.AT_RISK
    if r <= 2:
        return Segment.LOST
    return Segment.PROMISING


def score_customers(totals: Sequence[CustomerTotals], now: datetime) -> list[CustomerValue]:
    """RFM scores and segments of every customer given."""
    recency = [max((now - t.last_order_at).days, 0) for t in totals]
    r = quintile_scores(recency, higher_is_better=False)
    f = quintile_scores([t.orders for t in totals])
    m = quintile_scores([t.revenue_minor for t in totals])
    return [
        CustomerValue(t, recency[i], r[i], f[i], m[i], segment_of(r[i], f[i], t.orders))
        for i, t in enumerate(totals)
    ]


def summarise(values: Sequence[CustomerValue]) -> list[SegmentSummary]:
    """Per segment (in Segment order, empty ones included): customers, revenue and its share."""
    total = sum(v.totals.revenue_minor for v in values)
    out = []
    for segment in Segment:
        members = [v for v in values if v.segment is segment]
        revenue = sum(v.totals.revenue_minor for v in members)
        out.append(
            SegmentSummary(
                segment,
                len(members),
                revenue,
                sum(v.totals.orders for v in members),
                revenue / total if total else 0.0,
            )
        )
    return out
