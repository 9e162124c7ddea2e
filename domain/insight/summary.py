"""The daily and weekly summaries for the admin chat, queued in the outbox (so they are sent
once, even if the bot restarts): yesterday's figures, or the last seven days', each beside the
period before. The weekly one also queues its chart, in the same transaction and after the
text (a chat's rows go out in order): an outbox row that names the chart (`CHART_PARAM`) and
its period, which the sender draws when it sends it (bot/insight/summary.py), so the chart is
sent once like every other notification, and drawn from the data as it is then."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from domain.insight.ports import InsightUnitOfWork
from domain.insight.report import Period, Report, change
from domain.insight.service import Insight
from domain.shared.notifications import Notification
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

DAILY_TEMPLATE = "insight.summary.daily"
WEEKLY_TEMPLATE = "insight.summary.weekly"
WEEKLY_CHART_TEMPLATE = "insight.summary.weekly_chart"  # the chart's caption
CHART_PARAM = "$chart"  # a notification with it is a photo drawn at send time
DAILY_SALES_CHART = "daily_sales"  # revenue and orders of each day of "first".."last"


def _change(value: float | None) -> str:
    """Language-neutral: +12.5% or — when there is nothing to compare with."""
    return "—" if value is None else f"{value * 100:+.1f}%"


def summary_params(report: Report) -> dict[str, Any]:
    """The template parameters of a summary (money as {"$money": ...}, rates preformatted)."""
    cur, currency = report.current, report.currency
    top = report.top_products[0] if report.top_products else None
    return {
        "first": report.period.first.isoformat(),
        "last": report.period.last.isoformat(),
        "revenue": {"$money": [cur.revenue_minor, currency]},
        "revenue_change": _change(report.change_of("revenue_minor")),
        "orders": cur.orders,
        "orders_change": _change(report.change_of("orders")),
        "aov": {"$money": [cur.average_order_minor, currency]},
        "cancel_rate": f"{cur.cancellation_rate * 100:.1f}%",
        "cancel_change": _change(change(cur.cancellation_rate, report.previous.cancellation_rate)),
        "top": f"{top.name} ({top.sku}) × {top.units}" if top else "—",
    }


class Summaries:
    """Queues the summaries of a day or a week for the admin chat."""

    def __init__(
        self,
        insight: Insight,
        uow: UnitOfWorkFactory[InsightUnitOfWork],
        admin_chat_id: int | None,
    ) -> None:
        self.insight = insight
        self._uow = uow
        self.admin_chat_id = admin_chat_id

    async def _queue(
        self, template: str, period: Period, key: str, chart_key: str | None = None
    ) -> Report | None:
        if self.admin_chat_id is None:
            return None
        report = await self.insight.report_of(period)
        if not report.current.orders and not report.previous.orders:
            return report  # a shop with no orders in either period: nothing to tell
        async with self._uow() as uow:
            await uow.outbox.add(
                Notification(
                    chat_id=self.admin_chat_id,
                    template=template,
                    params=summary_params(report),
                    dedupe_key=key,
                ),
                self.insight.now(),
            )
            if chart_key is not None and report.current.orders:
                await uow.outbox.add(
                    Notification(
                        chat_id=self.admin_chat_id,
                        template=WEEKLY_CHART_TEMPLATE,
                        params={
                            CHART_PARAM: DAILY_SALES_CHART,
                            "first": period.first.isoformat(),
                            "last": period.last.isoformat(),
                        },
                        dedupe_key=chart_key,
                    ),
                    self.insight.now(),
                )
            await uow.commit()
        log.info("%s queued for %s..%s", template, period.first, period.last)
        return report

    async def queue_daily(self, today: date) -> Report | None:
        """Yesterday's summary (once per day: the outbox's dedupe key)."""
        day = today - timedelta(days=1)
        return await self._queue(DAILY_TEMPLATE, Period(day, day), f"insight_daily:{day}")

    async def queue_weekly(self, today: date) -> Report | None:
        """The last seven whole days' summary and its chart (once per week ending yesterday)."""
        last = today - timedelta(days=1)
        period = Period(last - timedelta(days=6), last)
        return await self._queue(
            WEEKLY_TEMPLATE,
            period,
            f"insight_weekly:{last}",
            chart_key=f"insight_weekly_chart:{DAILY_SALES_CHART}:{last}",
        )
