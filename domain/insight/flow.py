"""Flow and efficiency: the order queue as an M/M/1 system, beside what was observed.

λ is the rate at which orders to fulfil arrive (per working hour), μ the rate at which the
shop ships them while it is working (shipments per working hour in which it shipped anything).
With ρ = λ/μ < 1 the M/M/1 model expects

    Lq = ρ² / (1 − ρ)        orders waiting
    Wq = Lq / λ              hours an order waits before being worked on

and with ρ ≥ 1 the queue grows without bound: there is no steady state to report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Queue:
    """The M/M/1 figures of one period."""

    arrival_rate: float  # λ, per working hour
    service_rate: float  # μ, per working hour
    utilisation: float  # ρ
    expected_queue: float | None  # Lq; None when ρ ≥ 1 (it grows)
    expected_wait_hours: float | None  # Wq

    @property
    def stable(self) -> bool:
        """Whether the queue settles (ρ < 1)."""
        return self.expected_queue is not None


def utilisation(arrival_rate: float, service_rate: float) -> float:
    """ρ = λ/μ (infinite when nothing is served)."""
    if arrival_rate < 0 or service_rate < 0:
        raise ValueError("rates cannot be negative")
    if service_rate == 0:
        return math.inf if arrival_rate > 0 else 0.0
    return arrival_rate / service_rate


def expected_queue_length(rho: float) -> float | None:
    """Lq = ρ²/(1 − ρ) of an M/M/1 queue; None when ρ ≥ 1."""
    if rho < 0:
        raise ValueError("utilisation cannot be negative")
    if rho >= 1:
        return None
    return rho * rho / (1 - rho)


def mm1(arrival_rate: float, service_rate: float) -> Queue:
    """The M/M/1 figures for λ and μ (per hour)."""
    rho = utilisation(arrival_rate, service_rate)
    lq = expected_queue_length(rho)
    wq = None if lq is None else (lq / arrival_rate if arrival_rate > 0 else 0.0)
    return Queue(arrival_rate, service_rate, rho, lq, wq)


def percentile_from_histogram(buckets: Sequence[tuple[float, int]], q: float) -> float | None:
    """The q-quantile (0..1) of values given as (bucket value, count), the nearest-rank way:
    the smallest bucket value at or below which at least q of the values lie."""
    if not 0 <= q <= 1:
        raise ValueError("a quantile lies between 0 and 1")
    ordered = sorted((value, count) for value, count in buckets if count > 0)
    total = sum(count for _, count in ordered)
    if total == 0:
        return None
    rank = max(math.ceil(q * total), 1)
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]  # pragma: no cover - rank ≤ total always stops the loop
