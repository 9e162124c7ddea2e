"""The texts of insight's answers, built from what the domain computed (no arithmetic of the
shop's figures here beyond formatting)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.texts import Texts
from domain.insight.forecast import Method
from domain.insight.report import Report, change
from domain.insight.rfm import CustomerValue, SegmentSummary
from domain.insight.service import Efficiency, ProductForecast
from domain.insight.stock import HISTORY_BASIS, StockPlan
from domain.shared.customers import Language
from domain.shared.money import Money

STOCK_LINES = 30
# The figures of a report, in the order shown (each has a label under insight.report.<name>).
REPORT_FIGURES = (
    "revenue",
    "orders",
    "aov",
    "units",
    "cancel_rate",
    "refund_rate",
    "new",
    "returning",
)


def _change(value: float | None) -> str:
    if value is None:
        return "(—)"
    arrow = "▲" if value > 0 else "▼" if value < 0 else "="
    return f"({arrow} {value * 100:+.1f}%)"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def report_text(t: Texts, lang: Language, report: Report) -> str:
    """The report as one message."""
    cur, prev = report.current, report.previous
    money = lambda minor: t.money(Money(minor, report.currency), lang)  # noqa: E731
    lines = [
        t(
            lang,
            "insight.report.title",
            first=report.period.first.isoformat(),
            last=report.period.last.isoformat(),
            prev_first=report.period.previous().first.isoformat(),
            prev_last=report.period.previous().last.isoformat(),
        )
    ]
    if not cur.orders:
        lines.append(t(lang, "insight.report.none"))
    rows = (
        ("revenue", money(cur.revenue_minor), report.change_of("revenue_minor")),
        ("orders", str(cur.orders), report.change_of("orders")),
        ("aov", money(cur.average_order_minor), report.change_of("average_order_minor")),
        ("units", str(cur.units), report.change_of("units")),
        (
            "cancel_rate",
            _percent(cur.cancellation_rate),
            change(cur.cancellation_rate, prev.cancellation_rate),
        ),
        ("refund_rate", _percent(cur.refund_rate), change(cur.refund_rate, prev.refund_rate)),
        ("new", str(cur.new_customers), report.change_of("new_customers")),
        ("returning", str(cur.returning_customers), report.change_of("returning_customers")),
    )
    for key, value, delta in rows:
        lines.append(
            t(
                lang,
                "insight.report.line",
                label=t(lang, f"insight.report.{key}"),
                value=value,
                change=_change(delta),
            )
        )
    if report.top_products:
        lines.append("")
        lines.append(t(lang, "insight.report.top"))
        for rank, p in enumerate(report.top_products, 1):
            lines.append(
                t(
                    lang,
                    "insight.report.top_line",
                    rank=rank,
                    name=p.name,
                    sku=p.sku,
                    units=p.units,
                    revenue=money(p.revenue_minor),
                )
            )
    if cur.payment_mix:
        lines.append("")
        lines.append(t(lang, "insight.report.mix"))
        for method, (n, minor) in sorted(cur.payment_mix.items(), key=lambda kv: -kv[1][1]):
            lines.append(
                t(lang, "insight.report.mix_line", method=method, orders=n, revenue=money(minor))
            )
    return "\n".join(lines)


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def report_csv(report: Report) -> bytes:
    """The report's rows: days, top products, payment methods (money in minor units)."""
    rows: list[list[object]] = [["section", "key", "orders_or_units", "amount_minor", "currency"]]
    rows += [
        ["day", d.day.isoformat(), d.orders, d.revenue_minor, report.currency] for d in report.daily
    ]
    rows += [
        ["product", p.sku, p.units, p.revenue_minor, report.currency] for p in report.top_products
    ]
    rows += [
        ["payment_method", m, n, minor, report.currency]
        for m, (n, minor) in sorted(report.current.payment_mix.items())
    ]
    return _csv(rows)


def customers_text(
    t: Texts, lang: Language, currency: str, summaries: Sequence[SegmentSummary]
) -> str:
    """Segments with counts, revenue share and average order."""
    total = sum(s.customers for s in summaries)
    if not total:
        return t(lang, "insight.customers.none")
    lines = [t(lang, "insight.customers.title", count=total)]
    for s in summaries:
        lines.append(
            t(
                lang,
                "insight.customers.line",
                segment=t(lang, f"insight.customers.{s.segment.value}"),
                customers=s.customers,
                share=_percent(s.revenue_share),
                aov=t.money(Money(s.average_order_minor, currency), lang),
            )
        )
    return "\n".join(lines)


def customers_csv(values: Sequence[CustomerValue]) -> bytes:
    """Every customer with scores and segment, best first."""
    rows: list[list[object]] = [
        [
            "customer_id",
            "name",
            "segment",
            "r",
            "f",
            "m",
            "orders",
            "revenue_minor",
            "days_since_last_order",
        ]
    ]
    ordered = sorted(values, key=lambda v: (-(v.r + v.f + v.m), -v.totals.revenue_minor))
    rows += [
        [
            v.totals.customer_id,
            v.totals.name,
            v.segment.value,
            v.r,
            v.f,
            v.m,
            v.totals.orders,
            v.totals.revenue_minor,
            v.recency_days,
        ]
        for v in ordered
    ]
    return _csv(rows)


def forecast_text(
    t: Texts, lang: Language, currency: str, result: ProductForecast, days: int
) -> str:
    """The forecast, its method and its backtest beside the baseline's."""
    f = result.forecast
    if result.sku is None:
        total = t.money(Money(round(f.total), currency), lang)
        lines = [t(lang, "insight.forecast.title_revenue", days=days, total=total)]
    else:
        lines = [
            t(
                lang,
                "insight.forecast.title_product",
                name=result.name or result.sku,
                sku=result.sku,
                days=days,
                total=round(f.total),
            )
        ]
    lines.append(t(lang, "insight.forecast.method", method=t(lang, f"insight.forecast.{f.method}")))
    if f.model is None or f.baseline is None:
        lines.append(t(lang, "insight.forecast.no_backtest"))
    else:
        lines.append(
            t(
                lang,
                "insight.forecast.accuracy",
                mae=f"{f.model.mae:.1f}",
                smape=f"{f.model.smape:.1f}",
                base_mae=f"{f.baseline.mae:.1f}",
                base_smape=f"{f.baseline.smape:.1f}",
            )
        )
        if f.method is not Method.SEASONAL_NAIVE:
            key = "beats" if f.beats_baseline else "loses"
            lines.append(t(lang, f"insight.forecast.{key}"))
    return "\n".join(lines)


def _basis(t: Texts, lang: Language, plan: StockPlan) -> str:
    """Where the EOQ's D came from: the window's pace or the forecast (and its method)."""
    if plan.demand_basis == HISTORY_BASIS:
        return t(lang, "insight.stock.basis_history")
    method = t(lang, f"insight.forecast.{plan.demand_basis}")
    return t(lang, "insight.stock.basis_forecast", method=method)


def stock_text(t: Texts, lang: Language, plans: Sequence[StockPlan]) -> str:
    """The products due for a reorder, with the quantity to order."""
    due = [p for p in plans if p.due]
    if not due:
        return t(lang, "insight.stock.none")
    lines = [t(lang, "insight.stock.title")]
    for p in due[:STOCK_LINES]:
        lines.append(
            t(
                lang,
                "insight.stock.line",
                name=p.name,
                sku=p.sku,
                available=p.available,
                rop=p.reorder_point,
                ss=p.safety_stock,
                qty=p.suggested,
            )
        )
        lines.append(
            t(lang, "insight.stock.demand", demand=round(p.annual_demand), basis=_basis(t, lang, p))
        )
    if len(due) > STOCK_LINES:
        lines.append(t(lang, "insight.stock.more", count=len(due) - STOCK_LINES))
    return "\n".join(lines)


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 60:.1f} h" if value >= 60 else f"{value:.0f} min"


def efficiency_text(t: Texts, lang: Language, e: Efficiency) -> str:
    """λ, μ, ρ and the M/M/1 figures beside the observed backlog and durations."""
    q = e.queue
    lines = [
        t(
            lang,
            "insight.flow.title",
            first=e.period.first.isoformat(),
            last=e.period.last.isoformat(),
        ),
        t(
            lang,
            "insight.flow.rates",
            arrival=f"{q.arrival_rate:.2f}",
            service=f"{q.service_rate:.2f}",
        ),
        t(lang, "insight.flow.utilisation", rho=f"{q.utilisation:.2f}"),
    ]
    if q.expected_queue is None:
        lines.append(t(lang, "insight.flow.unstable"))
    else:
        lines.append(
            t(
                lang,
                "insight.flow.queue",
                lq=f"{q.expected_queue:.2f}",
                wq=f"{q.expected_wait_hours or 0:.2f}",
            )
        )
    lines.append(
        t(
            lang,
            "insight.flow.observed",
            backlog=e.facts.backlog,
            throughput=f"{e.throughput_per_day:.1f}",
            per_hour=f"{e.facts.shipped / e.working_hours:.2f}",
        )
    )
    lines.append(t(lang, "insight.flow.durations"))
    for name, (p50, p90) in e.percentiles.items():
        lines.append(
            t(
                lang,
                "insight.flow.duration_line",
                label=t(lang, f"insight.flow.{name}"),
                p50=_minutes(p50),
                p90=_minutes(p90),
            )
        )
    return "\n".join(lines)
