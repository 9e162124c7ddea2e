"""Order reports: the period asked for, its figures, and the change against the period before.

Periods are whole local days, half-open [start, end): `today`; `week`, the last 7 days up to
today; `month`, the last 30 days; or `FROM TO`, two ISO dates, both included. The previous
period is the same number of days right before. Sales are orders that count as sold: confirmed
(cash on delivery), paid, shipped, delivered or completed; cancelled and expired orders and
orders still waiting for payment are not sales."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

MAX_PERIOD_DAYS = 366


class PeriodProblem(StrEnum):
    """Why a period was refused (each has its own reply)."""

    GARBAGE = "garbage"  # not a word we know, not two dates
    REVERSED = "reversed"  # FROM after TO
    TOO_LONG = "too_long"  # more than a year
    FUTURE = "future"  # starts after today


class PeriodError(Exception):
    """A period the merchant typed that cannot be reported."""

    def __init__(self, problem: PeriodProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Period:
    """Local days [first, last], both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days it covers."""
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length right before."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in `tz`."""
        start = datetime.combine(self.first, time(), tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tz)
        return start, end


def parse_period(words: Sequence[str], today: date) -> Period:
    """The period of `/report`'s arguments (none means today)."""
    if not words or (len(words) == 1 and words[0].lower() == "today"):
        return Period(today, today)
    if len(words) == 1 and words[0].lower() == "week":
        return Period(today - timedelta(days=6), today)
    if len(words) == 1 and words[0].lower() == "month":
        return Period(today - timedelta(days=29), today)
    if len(words) != 2:
        raise PeriodError(PeriodProblem.GARBAGE)
    try:
        first, last = date.fromisoformat(words[0]), date.fromisoformat(words[1])
    except ValueError:
        raise PeriodError(PeriodProblem.GARBAGE) from None
    if first > last:
        raise PeriodError(PeriodProblem.REVERSED)
    if first > today:
        raise PeriodError(PeriodProblem.FUTURE)
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodError(PeriodProblem.TOO_LONG)
    return Period(first, last)


@dataclass(frozen=True)
class ProductSales:
    """A product's sales in a period."""

    product_id: int
    sku: str
    name: str
    units: int
    revenue_minor: int


@dataclass(frozen=True)
class PeriodFigures:
    """What the database counts for a period (one currency)."""

    orders: int = 0  # placed in the period, whatever became of them
    sales: int = 0  # of those, sales
    cancelled: int = 0  # cancelled or expired
    refunded: int = 0  # sales with a completed refund
    revenue_minor: int = 0  # total of the sales
    refunds_minor: int = 0
    units: int = 0  # units in the sales
    new_customers: int = 0  # customers whose first order ever is in the period
    returning_customers: int = 0  # customers with a sale in the period and an order before it
    payment_mix: dict[str, tuple[int, int]] = field(default_factory=dict)  # method: (n, minor)

    @property
    def average_order_minor(self) -> int:
        """Average sale in minor units (rounded half up)."""
        return (2 * self.revenue_minor + self.sales) // (2 * self.sales) if self.sales else 0

    @property
    def cancellation_rate(self) -> float:
        """Cancelled or expired of the orders placed."""
        return self.cancelled / self.orders if self.orders else 0.0

    @property
    def refund_rate(self) -> float:
        """Refunded of the sales."""
        return self.refunded / self.sales if self.sales else 0.0


def change(current: float, previous: float) -> float | None:
    """The relative change (0.25 for +25 %); None when there is nothing to compare with."""
    if previous == 0:
        return None
    return (current - previous) / previous


@dataclass(frozen=True)
class DaySales:
    """One local day's sales."""

    day: date
    orders: int
    revenue_minor: int


@dataclass(frozen=True)
class Report:
    """A period's report beside the previous period."""

    period: Period
    currency: str
    current: PeriodFigures
    previous: PeriodFigures
    top_products: list[ProductSales]
    daily: list[DaySales]

    def change_of(self, name: str) -> float | None:
        """The change of one figure (an attribute or property of PeriodFigures)."""
        return change(getattr(self.current, name), getattr(self.previous, name))


def fill_days(period: Period, found: Sequence[DaySales]) -> list[DaySales]:
    """Every day of the period, with zeros for days without sales."""
    by_day = {d.day: d for d in found}
    return [
        by_day.get(day, DaySales(day, 0, 0))
        for day in (period.first + timedelta(days=i) for i in range(period.days))
    ]
