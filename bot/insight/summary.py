"""The weekly summary's chart, sent to the admin chat after its text was queued."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot

from bot.insight import charts
from bot.texts import Texts
from domain.insight.report import Report
from domain.shared.customers import Language
from domain.shared.money import currency_exponent

log = logging.getLogger(__name__)


def weekly_charts(
    bot: Bot, texts: Texts, language: Language, chat_id: int
) -> Callable[[Report], Awaitable[None]]:
    """A callback that draws the week's revenue and orders and sends it as a photo."""

    async def send(report: Report) -> None:
        scale = 10 ** currency_exponent(report.currency)
        caption = texts(language, "insight.report.chart")
        png = await asyncio.to_thread(
            charts.report_chart,
            caption,
            [d.day for d in report.daily],
            [d.revenue_minor / scale for d in report.daily],
            [d.orders for d in report.daily],
            (
                texts(language, "insight.report.chart_revenue"),
                texts(language, "insight.report.chart_orders"),
            ),
        )
        await bot.send_photo(chat_id, photo=png, caption=caption)
        log.info("weekly summary chart sent for %s..%s", report.period.first, report.period.last)

    return send
