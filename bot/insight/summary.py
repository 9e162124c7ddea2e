"""The weekly summary's chart, drawn when the outbox sends its row (domain/insight/summary.py
queues it with the text): the row names the chart and its period, and this draws it from the
orders stored for that period, with its labels in the reader's language."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from bot.insight import charts
from bot.texts import Texts
from domain.insight.report import Period
from domain.insight.service import Insight
from domain.insight.summary import CHART_PARAM, DAILY_SALES_CHART
from domain.shared.customers import Language
from domain.shared.money import currency_exponent
from domain.shared.notifications import Notification

log = logging.getLogger(__name__)


class SummaryCharts:
    """Draws the chart an outbox row names (TelegramSender calls it at send time)."""

    kinds = (DAILY_SALES_CHART,)

    def __init__(self, insight: Insight, texts: Texts) -> None:
        self.insight = insight
        self.texts = texts

    async def __call__(self, notification: Notification, language: Language) -> bytes:
        """The PNG of the row's chart (ValueError: a chart this does not draw)."""
        params = notification.params
        if params.get(CHART_PARAM) != DAILY_SALES_CHART:
            raise ValueError(f"no chart named {params.get(CHART_PARAM)!r}")
        period = Period(date.fromisoformat(params["first"]), date.fromisoformat(params["last"]))
        report = await self.insight.report_of(period)
        scale = 10 ** currency_exponent(report.currency)
        png = await asyncio.to_thread(
            charts.report_chart,
            self.texts(language, "insight.report.chart"),
            [d.day for d in report.daily],
            [d.revenue_minor / scale for d in report.daily],
            [d.orders for d in report.daily],
            (
                self.texts(language, "insight.report.chart_revenue"),
                self.texts(language, "insight.report.chart_orders"),
            ),
        )
        log.info("chart %s drawn for %s..%s", DAILY_SALES_CHART, period.first, period.last)
        return png
