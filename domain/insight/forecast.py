"""Demand and sales forecasts from the daily history, with a rolling-origin backtest.

Methods, chosen per series:

- **Holt-Winters** (statsmodels' ExponentialSmoothing: level and additive weekly season). A
  damped trend fitted 2.5 times slower and did not help on half a year of daily sales, so the
  trend is left out. Needs the `forecast` extra (statsmodels); without it, seasonal naive.
- **seasonal naive**: each day repeats the same weekday of the last week. Always computed as
  the baseline the model has to beat.
- **Croston** (α = 0.1) for intermittent series (more than half the days without a sale): the
  average size of a non-zero day divided by the average gap between them, a flat rate.
- **recent mean** for short histories (fewer than four weeks): the mean of what there is.

The backtest cuts the history at `origins` points a horizon apart, fits on what came before
each cut and compares the next `horizon` days with what happened. MAE is in units (or minor
units of money); sMAPE is 200·|a−f|/(|a|+|f|) averaged over the days, with 0/0 counted as 0.
The interval is the forecast ± 1.96 × the backtest's root mean squared error, never below 0."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

SEASON = 7
MIN_SEASONAL_DAYS = 4 * SEASON  # shorter histories get the recent mean
INTERMITTENT_ZERO_SHARE = 0.5
CROSTON_ALPHA = 0.1
Z_95 = 1.96

Fit = Callable[[Sequence[float], int], list[float]]


class Method(StrEnum):
    """How a forecast was made."""

    HOLT_WINTERS = "holt_winters"
    SEASONAL_NAIVE = "seasonal_naive"
    CROSTON = "croston"
    RECENT_MEAN = "recent_mean"


class ForecastUnavailableError(Exception):
    """The time-series library (the `forecast` extra) is not installed."""


@dataclass(frozen=True)
class Accuracy:
    """Errors of a backtest."""

    mae: float
    smape: float  # percent, 0..200
    rmse: float


@dataclass(frozen=True)
class Forecast:
    """A forecast of one series, with its backtest beside the seasonal-naive baseline's."""

    method: Method
    history: list[float]
    values: list[float]
    lower: list[float]
    upper: list[float]
    model: Accuracy | None  # None: the history is too short to backtest
    baseline: Accuracy | None

    @property
    def total(self) -> float:
        """The sum of the forecast over the horizon."""
        return sum(self.values)

    @property
    def beats_baseline(self) -> bool | None:
        """Whether the method's backtest MAE is below seasonal naive's (None: not backtested)."""
        if self.model is None or self.baseline is None:
            return None
        return self.model.mae < self.baseline.mae


def mae(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute error."""
    if len(actual) != len(predicted) or not actual:
        raise ValueError("two non-empty series of the same length are needed")
    return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / len(actual)


def smape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Symmetric mean absolute percentage error, in percent (0/0 days count as 0)."""
    if len(actual) != len(predicted) or not actual:
        raise ValueError("two non-empty series of the same length are needed")
    total = 0.0
    for a, p in zip(actual, predicted, strict=True):
        denominator = abs(a) + abs(p)
        total += 200 * abs(a - p) / denominator if denominator else 0.0
    return total / len(actual)


def seasonal_naive(history: Sequence[float], horizon: int, season: int = SEASON) -> list[float]:
    """Each future day repeats the same day of the last season (the last value if shorter)."""
    if not history:
        return [0.0] * horizon
    if len(history) < season:
        return [float(history[-1])] * horizon
    last = history[-season:]
    return [float(last[h % season]) for h in range(horizon)]


def recent_mean(history: Sequence[float], horizon: int) -> list[float]:
    """The mean of the history, flat."""
    level = sum(history) / len(history) if history else 0.0
    return [level] * horizon


def croston(history: Sequence[float], horizon: int, alpha: float = CROSTON_ALPHA) -> list[float]:
    """Croston's method: smoothed non-zero size / smoothed gap between non-zero days, flat."""
    size = gap = None
    days_since = 1
    for value in history:
        if value > 0:
            if size is None or gap is None:
                size, gap = float(value), float(days_since)
            else:
                size += alpha * (value - size)
                gap += alpha * (days_since - gap)
            days_since = 1
        else:
            days_since += 1
    rate = size / gap if size is not None and gap else 0.0
    return [rate] * horizon


def holt_winters(history: Sequence[float], horizon: int) -> list[float]:
    """Holt-Winters (level + additive weekly season) by statsmodels, on one BLAS thread."""
    try:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
    except ImportError as exc:  # the `forecast` extra is not installed
        raise ForecastUnavailableError(str(exc)) from exc
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with the extra
        threadpool_limits = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on flat series
        limits = threadpool_limits(1) if threadpool_limits is not None else None
        try:
            model = ExponentialSmoothing(
                [float(v) for v in history],
                trend=None,
                seasonal="add",
                seasonal_periods=SEASON,
                initialization_method="estimated",
            ).fit(use_brute=False)
            return [float(v) for v in model.forecast(horizon)]
        finally:
            if limits is not None:
                limits.unregister()


def holt_winters_available() -> bool:
    """Whether statsmodels can be imported (the `forecast` extra)."""
    try:
        import statsmodels.tsa.holtwinters  # noqa: F401
    except ImportError:
        return False
    return True


def choose_method(history: Sequence[float], *, model_available: bool) -> Method:
    """The method a series gets (see the module docstring)."""
    if len(history) < MIN_SEASONAL_DAYS:
        return Method.RECENT_MEAN
    zero_days = sum(1 for v in history if v == 0)
    if zero_days / len(history) > INTERMITTENT_ZERO_SHARE:
        return Method.CROSTON
    return Method.HOLT_WINTERS if model_available else Method.SEASONAL_NAIVE


FITS: dict[Method, Fit] = {
    Method.HOLT_WINTERS: holt_winters,
    Method.SEASONAL_NAIVE: seasonal_naive,
    Method.CROSTON: croston,
    Method.RECENT_MEAN: recent_mean,
}


def backtest(history: Sequence[float], horizon: int, fit: Fit, origins: int) -> Accuracy | None:
    """Rolling-origin errors: `origins` cuts a horizon apart, the last one a horizon before the
    end; None when the history cannot give the fit at least four weeks before the first cut."""
    first_cut = len(history) - origins * horizon
    if horizon <= 0 or origins <= 0 or first_cut < MIN_SEASONAL_DAYS:
        return None
    actual: list[float] = []
    predicted: list[float] = []
    for k in range(origins):
        cut = first_cut + k * horizon
        actual.extend(float(v) for v in history[cut : cut + horizon])
        predicted.extend(max(v, 0.0) for v in fit(history[:cut], horizon))
    squares = sum((a - p) ** 2 for a, p in zip(actual, predicted, strict=True))
    return Accuracy(
        mae(actual, predicted), smape(actual, predicted), math.sqrt(squares / len(actual))
    )


def forecast_series(
    history: Sequence[float],
    horizon: int,
    *,
    origins: int = 3,
    model_available: bool | None = None,
) -> Forecast:
    """Forecast the next `horizon` days of a daily series, with its backtest and baseline."""
    if horizon <= 0:
        raise ValueError("the horizon must be at least one day")
    available = holt_winters_available() if model_available is None else model_available
    method = choose_method(history, model_available=available)
    fit = FITS[method]
    values = [max(v, 0.0) for v in fit(history, horizon)] if history else [0.0] * horizon
    model = backtest(history, horizon, fit, origins)
    baseline = backtest(history, horizon, seasonal_naive, origins)
    spread = Z_95 * model.rmse if model is not None else 0.0
    if model is None and history:  # no backtest: the spread of the history itself
        mean = sum(history) / len(history)
        spread = Z_95 * math.sqrt(sum((v - mean) ** 2 for v in history) / len(history))
    return Forecast(
        method=method,
        history=[float(v) for v in history],
        values=values,
        lower=[max(v - spread, 0.0) for v in values],
        upper=[v + spread for v in values],
        model=model,
        baseline=baseline,
    )
