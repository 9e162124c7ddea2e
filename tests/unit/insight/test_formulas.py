"""Insight's formulas on examples worked by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.insight.flow import expected_queue_length, mm1, percentile_from_histogram
from domain.insight.forecast import (
    Method,
    backtest,
    choose_method,
    croston,
    forecast_series,
    mae,
    seasonal_naive,
    smape,
)
from domain.insight.report import (
    Period,
    PeriodError,
    PeriodFigures,
    PeriodProblem,
    change,
    parse_period,
)
from domain.insight.rfm import (
    CustomerTotals,
    Segment,
    quintile_scores,
    score_customers,
    segment_of,
    summarise,
)
from domain.insight.stock import (
    StockInputs,
    demand_from_forecast,
    economic_order_quantity,
    plan_stock,
    reorder_point,
    safety_stock,
)

# --- stock ---------------------------------------------------------------------------------


def test_stock_left_after_three_orders_is_100_minus_60() -> None:
    # the example, as the low-stock arithmetic sees it: 100 − (10 + 20 + 30) = 40
    plan = plan_stock(StockInputs(1, "A", "A", 100 - (10 + 20 + 30), 60, 30, 3, 1, 1, 100, 100))
    assert plan.available == 40
    assert plan.avg_daily == 20


def test_safety_stock_and_reorder_point_worked_by_hand() -> None:
    # d̄ = 10/day, d_max = 15/day, L̄ = 5 days, L_max = 8 days
    # SS = 15·8 − 10·5 = 120 − 50 = 70; ROP = 70 + 10·5 = 120
    ss = safety_stock(10, 15, 5, 8)
    assert ss == 70
    assert reorder_point(ss, 10, 5) == 120


def test_safety_stock_rounds_up_and_is_never_negative() -> None:
    assert safety_stock(2.5, 3, 2, 2.5) == 3  # 7.5 − 5 = 2.5 → 3
    assert safety_stock(0, 0, 5, 8) == 0
    with pytest.raises(ValueError):
        safety_stock(-1, 1, 1, 1)


def test_eoq_worked_by_hand() -> None:
    # D = 1,000 units a year, S = 10.00 per order, H = 0.50 per unit-year (minor units)
    # EOQ = √(2·1000·1000/50) = √40000 = 200
    assert economic_order_quantity(1000, 1000, 50) == 200
    assert economic_order_quantity(0, 1000, 50) == 0
    assert economic_order_quantity(0.1, 1, 10_000) == 1  # some demand: at least one
    with pytest.raises(ValueError):
        economic_order_quantity(1000, 1000, 0)


def test_plan_of_a_product_combines_the_three() -> None:
    # 280 units in 28 days: d̄ = 10; best day 15; L̄ = 5, L_max = 8 → SS 70, ROP 120
    # D = 10 × 365 = 3650, S = 2000, H = 500 → EOQ = √(2·3650·2000/500) = √29200 ≈ 170.88
    plan = plan_stock(StockInputs(7, "TEA", "Tea", 100, 280, 15, 28, 5, 8, 2000, 500))
    assert (plan.safety_stock, plan.reorder_point, plan.eoq) == (70, 120, 171)
    assert plan.due  # 100 ≤ 120
    assert plan.suggested == 171
    quiet = plan_stock(StockInputs(8, "X", "X", 0, 0, 0, 28, 5, 8, 2000, 500))
    assert not quiet.due  # a product that does not sell is never due
    assert (plan.annual_demand, plan.demand_basis) == (3650, "history")


def test_eoq_takes_its_annual_demand_from_the_forecast() -> None:
    # the same product, whose forecast says 20 a day for the next 14 days (the window sold 10):
    # D = 20 × 365 = 7300 → EOQ = √(2·7300·2000/500) = √58400 ≈ 241.66 → 242; SS and ROP
    # still come from the window (70, 120)
    forecast = [18.0, 22.0] * 7
    annual = demand_from_forecast(forecast)
    assert annual == pytest.approx(7300)
    plan = plan_stock(
        StockInputs(7, "TEA", "Tea", 100, 280, 15, 28, 5, 8, 2000, 500, annual, "holt_winters")
    )
    assert (plan.safety_stock, plan.reorder_point, plan.eoq) == (70, 120, 242)
    assert (plan.annual_demand, plan.demand_basis) == (pytest.approx(7300), "holt_winters")
    assert plan.suggested == 242
    # no forecast, or one of no sales: the history's pace is used
    assert demand_from_forecast([]) is None
    assert demand_from_forecast([0.0] * 14) is None


# --- flow ----------------------------------------------------------------------------------


def test_lq_of_half_utilisation_is_one_half() -> None:
    assert expected_queue_length(0.5) == pytest.approx(0.5)


def test_mm1_worked_by_hand() -> None:
    # λ = 3/h, μ = 4/h: ρ = 0.75, Lq = 0.5625/0.25 = 2.25, Wq = 2.25/3 = 0.75 h
    queue = mm1(3, 4)
    assert queue.utilisation == 0.75
    assert queue.expected_queue == pytest.approx(2.25)
    assert queue.expected_wait_hours == pytest.approx(0.75)
    assert queue.stable


def test_a_queue_at_or_over_capacity_has_no_steady_state() -> None:
    assert not mm1(4, 4).stable
    assert mm1(5, 4).expected_queue is None
    assert mm1(1, 0).utilisation == math.inf


def test_percentiles_from_a_histogram_by_nearest_rank() -> None:
    buckets = [(30, 2), (0, 5), (15, 3)]  # ten values: 0×5, 15×3, 30×2
    assert percentile_from_histogram(buckets, 0.5) == 0  # 5th value
    assert percentile_from_histogram(buckets, 0.6) == 15  # 6th value
    assert percentile_from_histogram(buckets, 0.9) == 30  # 9th value
    assert percentile_from_histogram([], 0.5) is None


# --- RFM -----------------------------------------------------------------------------------


def test_quintile_scores_by_rank_with_ties_sharing_a_score() -> None:
    assert quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert quintile_scores([5, 5, 5]) == [1, 1, 1]
    # recency: fewer days is better
    assert quintile_scores([1, 100, 50, 10, 5], higher_is_better=False) == [5, 1, 2, 3, 4]


def test_segments_follow_the_rules_in_order() -> None:
    assert segment_of(5, 5, 10) is Segment.CHAMPIONS
    assert segment_of(3, 3, 4) is Segment.LOYAL
    assert segment_of(5, 1, 1) is Segment.NEW
    assert segment_of(1, 4, 9) is Segment.AT_RISK
    assert segment_of(1, 1, 1) is Segment.LOST
    assert segment_of(3, 1, 1) is Segment.PROMISING


def test_scores_segments_and_shares_of_five_customers() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)

    def c(i: int, orders: int, revenue: int, days_ago: int) -> CustomerTotals:
        return CustomerTotals(i, f"c{i}", orders, revenue, now - timedelta(days=days_ago))

    values = score_customers(
        [
            c(1, 10, 5000, 1),
            c(2, 1, 100, 2),
            c(3, 6, 3000, 100),
            c(4, 2, 400, 200),
            c(5, 4, 1500, 20),
        ],
        now,
    )
    by_id = {v.totals.customer_id: v for v in values}
    assert (by_id[1].r, by_id[1].f, by_id[1].m) == (5, 5, 5)
    assert by_id[1].segment is Segment.CHAMPIONS
    assert by_id[2].segment is Segment.NEW  # R 4, one order
    assert by_id[3].segment is Segment.AT_RISK  # R 2, F 4
    assert by_id[4].segment is Segment.LOST  # R 1, F 2
    assert by_id[5].segment is Segment.LOYAL  # R 3, F 3
    summary = {s.segment: s for s in summarise(values)}
    assert summary[Segment.CHAMPIONS].revenue_share == pytest.approx(5000 / 10_000)
    assert summary[Segment.CHAMPIONS].average_order_minor == 500
    assert summary[Segment.PROMISING].customers == 0


# --- forecasts -----------------------------------------------------------------------------


def test_error_measures_worked_by_hand() -> None:
    assert mae([10, 20], [12, 17]) == 2.5
    # sMAPE: 200·2/22 and 200·3/37, averaged; a 0/0 day counts 0
    assert smape([10, 20], [12, 17]) == pytest.approx((400 / 22 + 600 / 37) / 2)
    assert smape([0, 0], [0, 0]) == 0


def test_seasonal_naive_repeats_last_week() -> None:
    history = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert seasonal_naive(history, 9) == [8, 9, 10, 11, 12, 13, 14, 8, 9]
    assert seasonal_naive([3, 4], 2) == [4, 4]


def test_croston_of_a_sale_every_other_day() -> None:
    # sizes 4, gaps 2 → 2 units a day
    assert croston([0, 4, 0, 4, 0, 4], 3) == [2.0, 2.0, 2.0]


def test_short_and_intermittent_histories_get_the_simpler_methods() -> None:
    assert choose_method([1] * 10, model_available=True) is Method.RECENT_MEAN
    assert choose_method([0, 0, 3] * 20, model_available=True) is Method.CROSTON
    assert choose_method([1, 2, 3] * 20, model_available=True) is Method.HOLT_WINTERS
    assert choose_method([1, 2, 3] * 20, model_available=False) is Method.SEASONAL_NAIVE


def test_backtest_of_seasonal_naive_on_a_pure_weekly_pattern_is_exact() -> None:
    week = [1, 2, 3, 4, 5, 6, 7]
    accuracy = backtest(week * 10, 7, seasonal_naive, origins=3)
    assert accuracy is not None
    assert accuracy.mae == 0 and accuracy.smape == 0
    assert backtest(week * 4, 7, seasonal_naive, origins=3) is None  # too short to cut


def test_holt_winters_beats_seasonal_naive_on_a_noisy_weekly_series() -> None:
    import random

    rng = random.Random(3)
    history = [10 + 4 * (d % 7 in (5, 6)) + rng.gauss(0, 1.5) for d in range(140)]
    result = forecast_series(history, 14, model_available=True)
    assert result.method is Method.HOLT_WINTERS
    assert result.beats_baseline is True
    assert all(
        lo <= v <= hi for lo, v, hi in zip(result.lower, result.values, result.upper, strict=True)
    )
    assert 9 < sum(result.values) / 14 < 13


def test_without_the_model_the_forecast_is_seasonal_naive_and_says_so() -> None:
    history = [1, 2, 3, 4, 5, 6, 7] * 8
    result = forecast_series(history, 7, model_available=False)
    assert result.method is Method.SEASONAL_NAIVE
    assert result.values == [1, 2, 3, 4, 5, 6, 7]


# --- reports -------------------------------------------------------------------------------


def test_periods_and_their_previous() -> None:
    today = date(2026, 6, 10)
    assert parse_period([], today) == Period(today, today)
    week = parse_period(["week"], today)
    assert week == Period(date(2026, 6, 4), today) and week.days == 7
    assert week.previous() == Period(date(2026, 5, 28), date(2026, 6, 3))
    assert parse_period(["month"], today).days == 30
    assert parse_period(["2026-05-01", "2026-05-31"], today).days == 31


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["yesterday-ish"], PeriodProblem.GARBAGE),
        (["2026-13-01", "2026-05-01"], PeriodProblem.GARBAGE),
        (["2026-05-31", "2026-05-01"], PeriodProblem.REVERSED),
        (["2027-01-01", "2027-01-02"], PeriodProblem.FUTURE),
        (["2024-01-01", "2026-01-01"], PeriodProblem.TOO_LONG),
    ],
)
def test_bad_periods_are_refused_with_a_reason(words: list[str], problem: PeriodProblem) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(words, date(2026, 6, 10))
    assert caught.value.problem is problem


def test_rates_and_changes_worked_by_hand() -> None:
    figures = PeriodFigures(orders=20, sales=16, cancelled=4, refunded=2, revenue_minor=8001)
    assert figures.cancellation_rate == 0.2
    assert figures.refund_rate == 0.125
    assert figures.average_order_minor == 500  # 8001/16 = 500.06
    assert change(125, 100) == 0.25
    assert change(5, 0) is None


def test_without_statsmodels_forecasts_fall_back_to_seasonal_naive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from domain.insight.forecast import (
        ForecastUnavailableError,
        holt_winters,
        holt_winters_available,
    )

    monkeypatch.setitem(sys.modules, "statsmodels.tsa.holtwinters", None)  # import fails
    assert not holt_winters_available()
    with pytest.raises(ForecastUnavailableError):
        holt_winters([1.0] * 40, 7)
    history = [float(v) for v in [3, 1, 4, 1, 5, 9, 2] * 8]
    result = forecast_series(history, 7)
    assert result.method is Method.SEASONAL_NAIVE
    assert result.values == [3, 1, 4, 1, 5, 9, 2]
